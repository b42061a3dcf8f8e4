#!/usr/bin/env bash
# Install everything (Python packages; chromium + CJK fonts for the browser tests; .doc converters), lint, run all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/venv.sh "[test]"
# Lint first (pyproject.toml [tool.ruff]): any finding fails the run before the tests start.
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
