#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the project (and the given extras) into it, every
# package at the version in constraints.txt (the versions the tests passed with).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
if ! out=$(.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".${1:-}" 2>&1); then
  echo "$out" >&2; echo "error: installing the project failed (see above)" >&2; exit 1
fi
if [ -n "$out" ]; then echo "$out" | grep -v "^WARNING: Location" || true; fi
.venv/bin/python -c "import whoosh, jieba, fastapi, numpy" # fail loudly if the install did not work
