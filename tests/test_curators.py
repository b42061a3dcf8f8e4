"""Curators and their corrections (issue 19.2–4), over a real uvicorn server on a copy of the
bundled reports' index: accounts made with the real command line, sign-in, sessions, CSRF, the
throttle, tokens, every write route refused without credentials, corrections written into the
metadata TOML the index was built with, published by an incremental build and audited."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from app.auth.sessions import SESSION_COOKIE
from app.corrections import places
from indexer import layout
from indexer.domain import PROJECT_ROOT
from tests.conftest import DATA_DIR, GUIZHUMAO, TANGYANG, ZHAITAN
from tests.server import build_index, serve

PASSWORD = "correct horse battery staple"
PUBLISH_SECONDS = 30  # a correction's build on the bundled reports takes a few seconds


def curators_cli(curators_file: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    environment = {**os.environ, "TOWNSHIP_CURATORS_FILE": str(curators_file)}
    return subprocess.run(
        [sys.executable, "-m", "app.curators", *args], input=stdin, capture_output=True, text=True, cwd=PROJECT_ROOT, env=environment, timeout=60
    )


class Site:
    """A served index of a copy of the bundled reports, with its own metadata file and curators."""

    def __init__(self, root: Path):
        self.root = root
        self.data_dir = root / "reports"
        self.index_dir = root / "index"
        self.metadata = root / "metadata.toml"
        self.curators_file = root / "state" / "curators.json"
        shutil.copytree(DATA_DIR, self.data_dir)
        shutil.copy(PROJECT_ROOT / "data" / "metadata.toml", self.metadata)
        built = build_index(self.data_dir, self.index_dir, "--metadata", str(self.metadata))
        assert built.returncode == 0, built.stderr
        self.url = ""

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return curators_cli(self.curators_file, *args, stdin=stdin)

    def add(self, name: str, password: str = PASSWORD) -> None:
        run = self.cli("add", name, stdin=password + "\n")
        assert run.returncode == 0, run.stderr

    def token(self, name: str) -> str:
        run = self.cli("token", name)
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, follow_redirects=False)

    def generation(self) -> Path:
        return layout.current_generation(self.index_dir)


def sign_in(client: httpx.Client, name: str, password: str = PASSWORD, next_path: str = "/") -> httpx.Response:
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
    return client.post("/login", data={"name": name, "password": password, "csrf_token": csrf, "next": next_path})


def csrf_of(client: httpx.Client) -> str:
    """The CSRF token of the signed-in session (from the logout form)."""
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/logout").text)[1]


def facet(client: httpx.Client, name: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in client.get("/api/search", params={"size": 1}).json()["facets"][name]}


def wait_for(check, seconds: float = PUBLISH_SECONDS):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("curated"))
    site.add("alice")
    with serve(site.index_dir, env={"TOWNSHIP_CURATORS_FILE": str(site.curators_file)}) as server:
        site.url = server.url
        yield site
        assert "Traceback" not in server.log_tail(20000), server.log_tail()


# ---------------------------------------------------------------------------- accounts


def test_the_accounts_file_holds_no_secret_and_only_its_owner_reads_it(site):
    token = site.token("alice")
    text = site.curators_file.read_text(encoding="utf-8")
    assert PASSWORD not in text and token not in text
    account = json.loads(text)["curators"]["alice"]
    assert account["password"].startswith("$argon2id$")
    assert [t["sha256"] for t in account["tokens"]] and all(len(t["sha256"]) == 64 for t in account["tokens"])
    assert site.curators_file.stat().st_mode & 0o777 == 0o600
    httpx.get(site.url + "/login")  # the server makes its signing key when it first needs it
    assert (site.curators_file.parent / "secret.key").stat().st_mode & 0o777 == 0o600
    listed = site.cli("list")
    assert listed.returncode == 0 and "alice" in listed.stdout and token not in listed.stdout


def test_the_command_line_refuses_bad_input_with_a_reason(site):
    short = site.cli("add", "carol", stdin="short\n")
    assert short.returncode == 1 and "10 to 1024 characters" in short.stderr and "Traceback" not in short.stderr
    bad_name = site.cli("add", "a b", stdin=PASSWORD + "\n")
    assert bad_name.returncode == 1 and "invalid curator name" in bad_name.stderr
    assert site.cli("token", "nobody").returncode == 1
    assert site.cli("remove", "nobody").returncode == 1


def test_the_repository_ignores_where_accounts_live_by_default():
    ignored = subprocess.run(
        ["git", "check-ignore", "var/curators.json", "var/secret.key", "var/corrections.jsonl"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert ignored.stdout.split() == ["var/curators.json", "var/secret.key", "var/corrections.jsonl"]


# ---------------------------------------------------------------------- who may write


def test_searching_needs_no_account(site):
    with site.client() as client:
        assert client.get("/api/search", params={"q": "光伏"}).status_code == 200
        for page in ("/", "/collection", f"/documents/{TANGYANG}", "/login"):
            response = client.get(page)
            assert response.status_code == 200, page
            assert "correction-form" not in response.text  # no form for anyone else
        assert client.get("/api/gazetteer", params={"q": "汤垟"}).json()["places"][0] == {
            "name": "汤垟乡",
            "code": "331121213",
            "county": "青田县",
            "city": "丽水市",
            "province": "浙江省",
            "forms": [],
        }


def _write_routes() -> list[tuple[str, str]]:
    from app.main import create_app

    def walk(routes):
        for route in routes:
            included = getattr(route, "original_router", None)  # an included router (FastAPI ≥ 0.160)
            yield from walk(included.routes) if included is not None else [route]

    return sorted(
        (method, route.path)
        for route in walk(create_app().routes)
        for method in getattr(route, "methods", None) or ()
        if method not in ("GET", "HEAD")
    )


def test_every_write_route_refuses_requests_without_credentials(site):
    routes = _write_routes()
    assert routes == [("POST", "/api/corrections"), ("POST", "/corrections"), ("POST", "/login"), ("POST", "/logout")]
    body = {"doc_id": TANGYANG, "township": "改了乡"}
    with site.client() as client:
        for method, path in routes:
            as_json = client.request(method, path, json=body)
            as_form = client.request(method, path, data={**body, "name": "alice", "password": PASSWORD})
            for response in (as_json, as_form):
                # /login's own credential is the form's CSRF token: without it, 403.
                assert response.status_code == (403 if path == "/login" else 401), (path, response.status_code, response.text[:300])
        anonymous_api = client.post("/api/corrections", json=body)
        assert anonymous_api.json()["detail"].startswith("需要更正人员登录") and anonymous_api.headers["www-authenticate"].startswith("Bearer")
        forged = client.post("/api/corrections", json=body, headers={"Authorization": "Bearer tsk_00000000_forged"})
        assert forged.status_code == 401 and "invalid or revoked token" in forged.json()["detail"]
        assert client.post("/api/corrections", json=body, headers={"Authorization": "Basic YWxpY2U6eA=="}).status_code == 401
        # Reading the audit trail is for curators too.
        assert client.get("/api/corrections").status_code == 401
        assert client.get("/corrections").headers["location"] == "/login?next=/corrections"
    assert "改了乡" not in site.metadata.read_text(encoding="utf-8")


def test_a_session_writes_only_with_its_csrf_token_and_from_this_site(site):
    with site.client() as client:
        assert sign_in(client, "alice").status_code == 303
        body = {"doc_id": TANGYANG, "kind": "工作总结"}
        assert client.post("/api/corrections", json=body).status_code == 403
        assert client.post("/api/corrections", json=body, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
        csrf = csrf_of(client)
        other_site = client.post("/api/corrections", json=body, headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"})
        assert other_site.status_code == 403 and "cross-site" in other_site.json()["detail"]
        cross = client.post("/corrections", data={**body, "csrf_token": csrf}, headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403
    assert '工作总结" #' not in site.metadata.read_text(encoding="utf-8")


def test_a_forged_or_foreign_session_cookie_is_refused(site):
    with site.client() as client:
        sign_in(client, "alice")
        cookie = client.cookies[SESSION_COOKIE]
        csrf = csrf_of(client)
    payload, stamp, signature = cookie.split(".")
    import base64

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged_payload = base64.urlsafe_b64encode(json.dumps({**claims, "n": "mallory"}).encode()).decode().rstrip("=")
    from app.auth.sessions import Signer

    foreign = Signer(b"another key").session_cookie("alice", 0)  # signed, but not with this server's key
    for value in (f"{forged_payload}.{stamp}.{signature}", f"{payload}.{stamp}.{signature[:-2]}xx", foreign, "garbage"):
        with site.client() as client:
            client.cookies.set(SESSION_COOKIE, value)
            refused = client.post("/api/corrections", json={"doc_id": TANGYANG, "year": 2023}, headers={"X-CSRF-Token": csrf})
            assert refused.status_code == 401, value
            assert "退出" not in client.get("/").text  # not signed in on the pages either


def test_sessions_expire(site):
    from app.auth.sessions import Signer

    signer = Signer(b"k" * 32, max_age=-1)  # every cookie is older than that
    assert signer.read_session(signer.session_cookie("alice", 0)) is None
    assert Signer(b"k" * 32).read_session(signer.session_cookie("alice", 0)).name == "alice"


def test_cookies_are_httponly_samesite_and_expire(site):
    with site.client() as client:
        response = sign_in(client, "alice")
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=28800" in cookie


def test_signing_out_ends_the_session(site):
    with site.client() as client:
        sign_in(client, "alice")
        old = client.cookies[SESSION_COOKIE]
        csrf = csrf_of(client)
        assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    with site.client() as client:
        client.cookies.set(SESSION_COOKIE, old)  # a copy of the cookie kept from before
        assert client.post("/api/corrections", json={"doc_id": TANGYANG, "year": 2023}, headers={"X-CSRF-Token": csrf}).status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/\tevil", "evil.example"])
def test_no_redirect_off_this_site_after_signing_in(site, target):
    with site.client() as client:
        response = sign_in(client, "alice", next_path=target)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_a_local_next_is_kept(site):
    with site.client() as client:
        assert sign_in(client, "alice", next_path="/collection?sort=year_desc").headers["location"] == "/collection?sort=year_desc"


def test_wrong_passwords_until_429(site):
    site.add("bob")
    with site.client() as client:
        statuses = [sign_in(client, "bob", "wrong password " + str(i)).status_code for i in range(5)]
        assert statuses == [401, 401, 401, 401, 429]
        blocked = sign_in(client, "bob")  # even the right password, for a while
        assert blocked.status_code == 429 and 0 < int(blocked.headers["retry-after"]) <= 900
        assert "密码错误次数过多" in blocked.text
        assert SESSION_COOKIE not in client.cookies
        # Another curator at the same address is not locked out by bob's attacker.
        assert sign_in(client, "alice").status_code == 303


def test_a_revoked_or_removed_token_is_refused(site):
    site.add("dora")
    token = site.token("dora")
    headers = {"Authorization": f"Bearer {token}"}
    with site.client() as client:
        assert client.get("/api/corrections", headers=headers).status_code == 200
        token_id = token.split("_")[1]
        assert site.cli("revoke", "dora", token_id).returncode == 0
        refused = client.post("/api/corrections", json={"doc_id": TANGYANG, "year": 2023}, headers=headers)
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
        second = site.token("dora")
        assert client.get("/api/corrections", headers={"Authorization": f"Bearer {second}"}).status_code == 200
        sign_in(client, "dora")
        assert site.cli("remove", "dora").returncode == 0
        assert client.get("/api/corrections", headers={"Authorization": f"Bearer {second}"}).status_code == 401
        assert client.get("/api/corrections").status_code == 401  # the session went with the account


# ------------------------------------------------------------------------- corrections


@pytest.mark.parametrize(
    "body, status, reason",
    [
        ({"doc_id": TANGYANG, "year": "20x3"}, 422, "year"),
        ({"doc_id": TANGYANG, "year": 23}, 422, "four digits"),
        ({"doc_id": TANGYANG, "kind": "年报"}, 422, "kind"),
        ({"doc_id": TANGYANG, "theme": "党建"}, 422, "unknown fields"),
        ({"doc_id": TANGYANG}, 422, "at least one"),
        ({"doc_id": TANGYANG, "township": "汤垟乡\n[x]"}, 422, "line breaks"),
        ({"doc_id": TANGYANG, "township": "乡" * 51}, 422, "50"),
        ({"doc_id": "no-such-report", "year": 2023}, 404, "no-such-report"),
        ({"township": "汤垟乡"}, 422, "doc_id"),
        (["not", "an", "object"], 422, "JSON object"),
    ],
)
def test_bad_corrections_get_a_clear_4xx(site, body, status, reason):
    headers = {"Authorization": f"Bearer {site.token('alice')}"}
    with site.client() as client:
        response = client.post("/api/corrections", json=body, headers=headers)
    assert response.status_code == status and reason in response.json()["detail"], response.text


def test_not_json_or_too_large_bodies_are_refused(site):
    headers = {"Authorization": f"Bearer {site.token('alice')}"}
    with site.client() as client:
        assert client.post("/api/corrections", content=b"{", headers={**headers, "Content-Type": "application/json"}).status_code == 422
        assert client.post("/api/corrections", content=b"doc_id=x", headers={**headers, "Content-Type": "text/plain"}).status_code == 415
        large = client.post("/api/corrections", json={"doc_id": "x" * 20000}, headers=headers)
        assert large.status_code == 413


def test_a_correction_is_written_published_and_audited(site):
    original = site.metadata.read_text(encoding="utf-8")
    before_generation = site.generation()
    with site.client() as client:
        assert facet(client, "county").get("青田县")
        response = client.post(
            "/api/corrections",
            json={"doc_id": TANGYANG, "county": "缙云县", "year": 2023},
            headers={"Authorization": f"Bearer {site.token('alice')}"},
        )
        assert response.status_code == 202, response.text
        answer = response.json()
        assert answer["changes"] == [{"field": "county", "before": "青田县", "after": "缙云县"}]  # the year was already 2023
        assert answer["build"] == "queued" and answer["metadata"] == str(site.metadata.resolve())
        # Published by the build, picked up by the server by itself.
        counties = wait_for(lambda: (found := facet(client, "county")).get("缙云县") and found)
        assert counties and "青田县" not in counties, counties
        status = wait_for(
            lambda: client.get("/api/corrections", headers={"Authorization": f"Bearer {site.token('alice')}"}).json()["build"]["state"] == "published"
        )
        assert status
        audit = client.get("/api/corrections", headers={"Authorization": f"Bearer {site.token('alice')}"}).json()
    entry = audit["entries"][0]
    assert (entry["curator"], entry["via"], entry["doc_id"], entry["field"], entry["before"], entry["after"]) == (
        "alice",
        "token",
        TANGYANG,
        "county",
        "青田县",
        "缙云县",
    )
    assert "1 changed" in audit["build"]["message"] and audit["build"]["message"].startswith("incremental build")
    manifest = layout.read_manifest(site.generation())
    assert site.generation() != before_generation and manifest["build"]["changed"] == 1 and manifest["build"]["mode"] == "incremental"
    # The file stays reviewable: every line it had is still there, in order, and it parses.
    text = site.metadata.read_text(encoding="utf-8")
    kept = iter(text.splitlines())
    assert all(line in kept for line in original.splitlines())
    assert [line for line in original.splitlines() if line.startswith("#")]  # it had comments to keep
    table = tomllib.loads(text)[f"{TANGYANG}.txt"]
    assert table == {"county": "缙云县"}
    assert re.search(r'county = "缙云县" # alice \d{4}-\d\d-\d\d; 原为 青田县', text)


def test_the_audit_page_shows_before_and_after(site):
    with site.client() as client:
        sign_in(client, "alice")
        csrf = csrf_of(client)
        saved = client.post(
            "/corrections", data={"csrf_token": csrf, "doc_id": ZHAITAN, "township": "斋坛乡", "county": "", "year": "2022", "kind": "工作总结"}
        )
        assert saved.status_code == 303 and saved.headers["location"] == "/corrections"
        page = client.get("/corrections").text
    row = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "alice" in row and f"/documents/{ZHAITAN}" in row
    assert re.search(r'<span class="audit-before">[^<]+</span> → <strong class="audit-after">2022</strong>', row)


def test_a_county_in_its_common_form_is_suggested_and_written_as_its_official_name(site):
    with site.client() as client:
        suggested = client.get("/api/gazetteer", params={"q": "芷江县", "level": "county"}).json()["places"]
        assert [(p["name"], p["forms"]) for p in suggested] == [("芷江侗族自治县", ["芷江县", "芷江自治县"])]
        token = {"Authorization": f"Bearer {site.token('alice')}"}
        response = client.post("/api/corrections", json={"doc_id": GUIZHUMAO, "county": "芷江县"}, headers=token)
        assert response.status_code == 202, response.text
        assert response.json()["changes"][0]["after"] == "芷江侗族自治县"  # the name the facet holds
        published = wait_for(lambda: facet(client, "county").get("芷江侗族自治县"))
        assert published and client.get("/api/search", params={"county": "芷江县", "size": 1}).json()["total"] == published
        again = client.post("/api/corrections", json={"doc_id": GUIZHUMAO, "county": "芷江自治县"}, headers=token)
        assert again.status_code == 200 and again.json()["changes"] == []  # the same county: nothing to write
    assert 'county = "芷江侗族自治县"' in site.metadata.read_text(encoding="utf-8")
    # Without JavaScript, the form's list of counties says the common forms of each.
    offered = places.form_choices(SimpleNamespace(township="土桥镇", county=None))
    assert offered["labels"]["芷江侗族自治县"] == "芷江侗族自治县（又作芷江县、芷江自治县）" and "汝城县" in offered["counties"]


def test_a_failed_build_leaves_the_index_serving(tmp_path):
    site = Site(tmp_path)
    site.add("alice")
    with serve(site.index_dir, env={"TOWNSHIP_CURATORS_FILE": str(site.curators_file)}) as server:
        site.url = server.url
        in_use = site.generation()
        shutil.move(site.data_dir, tmp_path / "gone")  # the build will find no reports
        token = site.token("alice")
        with site.client() as client:
            response = client.post("/api/corrections", json={"doc_id": TANGYANG, "township": "仁宫乡"}, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 202
            failed = wait_for(
                lambda: client.get("/api/corrections", headers={"Authorization": f"Bearer {token}"}).json()["build"]["state"] == "failed"
            )
            build = client.get("/api/corrections", headers={"Authorization": f"Bearer {token}"}).json()["build"]
            assert failed and "does not exist" in build["message"], build
            assert client.get("/healthz").json()["generation"] == in_use.name
            assert facet(client, "township").get("汤垟乡") and "仁宫乡" not in facet(client, "township")
            assert site.generation() == in_use
            sign_in(client, "alice")
            assert "最近一次更新失败" in client.get("/corrections").text
        assert "Traceback" not in server.log_tail(20000)
