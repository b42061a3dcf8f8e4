#!/usr/bin/env bash
# Install everything (Python packages; chromium + CJK fonts for the browser tests; .doc converters), run all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/venv.sh "[test]"
exec .venv/bin/python -m pytest "$@"
