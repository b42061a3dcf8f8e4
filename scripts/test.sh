#!/usr/bin/env bash
# Install everything (Python packages; chromium + CJK fonts for the browser tests; .doc converters), lint, run all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/venv.sh "[test]"
# Lint and format first (pyproject.toml [tool.ruff]): any finding or unformatted file fails the run
# before the tests start (`.venv/bin/ruff format .` fixes the latter).
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
