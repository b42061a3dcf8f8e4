#!/usr/bin/env bash
# Install everything, build the index if absent, serve on http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh converters  # antiword + LibreOffice for .doc reports (a warning if they cannot be installed)
bash scripts/venv.sh
.venv/bin/python -m indexer build --if-missing
exec .venv/bin/python -m uvicorn app.main:app --host 127.0.0.1 --port "${PORT:-8000}"
