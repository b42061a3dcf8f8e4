#!/usr/bin/env bash
# Debian packages the project uses, installed with apt only when missing (never a download from
# anywhere else):
#   converters  antiword and LibreOffice Writer (headless), which read legacy Word .doc reports;
#               without them the indexer skips each .doc naming what to install. A machine without
#               root or sudo only gets a warning: everything else still works.
#   test        (the default) the converters, plus chromium and CJK fonts for the browser tests
#               (without the fonts Chinese renders as empty boxes), and PostgreSQL's server
#               programs (initdb, pg_ctl: the tests start throwaway clusters of their own, no
#               service is used); missing ones are an error.
# Usage: bash scripts/system-deps.sh [converters|test]
set -euo pipefail
profile=${1:-test}
case "$profile" in converters|test) ;; *) echo "usage: $0 [converters|test]" >&2; exit 2;; esac
need=()
command -v antiword >/dev/null 2>&1 || need+=(antiword)
if ! command -v soffice >/dev/null 2>&1 && ! command -v libreoffice >/dev/null 2>&1; then need+=(libreoffice-writer-nogui); fi
if [ "$profile" = test ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then need+=(fonts-noto-cjk fontconfig); fi
  if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then need+=(postgresql); fi
fi
[ ${#need[@]} -eq 0 ] && exit 0
fail() {
  if [ "$profile" = converters ]; then
    echo "warning: $1; legacy Word .doc reports will be skipped (apt-get install ${need[*]})" >&2; exit 0
  fi
  echo "error: $1 (apt-get install ${need[*]})" >&2; exit 1
}
echo "installing ${need[*]} with apt" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  fail "${need[*]} missing and no root to install them"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || fail "apt-get update failed"
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || fail "apt-get install ${need[*]} failed"
