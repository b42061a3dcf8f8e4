#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the project (and the given extras) into it.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${1:-}" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import whoosh, jieba, fastapi" # fail loudly if the install did not work
