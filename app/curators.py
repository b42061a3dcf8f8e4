"""Command line for curator accounts (the people who may correct metadata)::

    python -m app.curators add NAME      # the password from standard input (asked twice on a terminal)
    python -m app.curators token NAME    # prints a new API token (only its hash is kept)
    python -m app.curators revoke NAME [TOKEN_ID]   # revokes one token, or all of NAME's
    python -m app.curators remove NAME   # the account, its tokens and sessions stop working
    python -m app.curators list

Accounts live in ``TOWNSHIP_CURATORS_FILE`` (default ``var/curators.json``, ignored by git,
readable only by its owner). Adding a name that exists sets a new password and ends that
curator's sessions. Errors are one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from app.auth.accounts import AccountError, Accounts, check_name, check_password, curators_file


def _password(stdin=sys.stdin) -> str:
    if stdin.isatty():
        first = getpass.getpass("密码 (password): ")
        if getpass.getpass("再输入一次 (again): ") != first:
            raise AccountError("the two passwords differ")
        return check_password(first)
    line = stdin.readline()
    return check_password(line[:-1] if line.endswith("\n") else line)  # piped: the first line, as typed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.curators", description="更正人员账号 (curator accounts)")
    commands = parser.add_subparsers(dest="command", required=True)
    for command, text in (
        ("add", "create a curator or set a new password (read from standard input)"),
        ("token", "print a new API token for the curator"),
        ("remove", "delete the curator: password, tokens and sessions stop working"),
    ):
        commands.add_parser(command, help=text).add_argument("name")
    revoke = commands.add_parser("revoke", help="revoke one API token of the curator, or all")
    revoke.add_argument("name")
    revoke.add_argument("token_id", nargs="?", help="the id printed by `token` (default: every token)")
    commands.add_parser("list", help="list the curators and their token ids")
    args = parser.parse_args(argv)
    path = curators_file()
    accounts = Accounts(path)
    try:
        if args.command == "add":
            check_name(args.name)
            created = accounts.add(args.name, _password())
            print(f"{'added' if created else 'new password for'} curator {args.name} ({path})", file=sys.stderr)
        elif args.command == "token":
            issued = accounts.issue_token(check_name(args.name))
            print(issued.token)
            print(
                f"token {issued.token_id} for {issued.name}: shown once, keep it secret; "
                f"revoke it with: python -m app.curators revoke {issued.name} {issued.token_id}",
                file=sys.stderr,
            )
        elif args.command == "revoke":
            count = accounts.revoke(args.name, args.token_id)
            print(f"revoked {count} token{'s' if count != 1 else ''} of {args.name}", file=sys.stderr)
        elif args.command == "remove":
            accounts.remove(args.name)
            print(f"removed curator {args.name}", file=sys.stderr)
        else:
            for name, account in sorted(accounts.curators().items()):
                tokens = ", ".join(t["id"] for t in account.get("tokens", [])) or "no tokens"
                print(f"{name}\tsince {account.get('created', '?')}\t{tokens}")
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {path}: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
