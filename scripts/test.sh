#!/usr/bin/env bash
# Install everything the test suite needs, then run it: lint, types, tests.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

# A real redis-server for the Redis suites (cache and rate limits shared across machines).
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null
  else
    echo "note: redis-server not found and cannot be installed; the Redis tests will skip" >&2
  fi
fi
if command -v redis-server >/dev/null 2>&1; then
  export HELICONE_LITE_REQUIRE_REDIS=1  # with redis-server here, its tests must not skip
fi

# Debian's Chromium for the dashboard's browser tests, driven by the playwright package (no
# browser download: never `playwright install`).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium not found and cannot be installed; the browser tests will skip" >&2
  fi
fi
if [ -x /usr/bin/chromium ]; then
  export HELICONE_LITE_REQUIRE_CHROMIUM=1  # with chromium here, the browser tests must not skip
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'

.venv/bin/ruff check helicone_lite tests examples benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest -q "$@"
