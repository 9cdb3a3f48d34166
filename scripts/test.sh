#!/usr/bin/env bash
# Install everything the test suite needs, then run it: lint, types, tests.
# Usage: bash scripts/test.sh [pytest args...]   (PYTEST_WORKERS=N: N xdist workers; 0: none)
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

# PostgreSQL (Debian's `postgresql`) for the suites that run on both engines; the tests start
# a private server (throwaway data directory, free loopback port) and stop it at the end.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo apt-get install -y -qq postgresql >/dev/null
  else
    echo "note: PostgreSQL not found and cannot be installed; the PostgreSQL tests will skip" >&2
  fi
fi
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
  export HELICONE_LITE_REQUIRE_POSTGRES=1  # with PostgreSQL here, its tests must not skip
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
# The `security` extra (the local prompt-injection classifier's tests build a tiny model):
# CPU torch pinned first so pip never pulls a CUDA build; best effort, its tests skip without it.
if .venv/bin/python -m pip install -q 'torch==2.13.0' && \
   .venv/bin/python -m pip install -q -e '.[dev,security]'; then :; else
  echo "note: the security extra did not install; the classifier tests will skip" >&2
fi

.venv/bin/ruff check helicone_lite tests examples benchmarks
.venv/bin/mypy
# One worker per core (pytest-xdist); every worker starts its own servers (redis-server,
# PostgreSQL, fake providers, Chromium) on free ports in its own directories. --dist worksteal:
# each worker starts on its half of the tests in file order and an idle one takes tests from
# the other's queue, so one long file (the store's chaos tests, the examples) no longer runs
# alone at the end as with --dist loadfile; a module-scoped fixture is built at most once per
# worker that runs the module's tests (twice, at worst, with two workers).
.venv/bin/python -m pytest -q -n "${PYTEST_WORKERS:-auto}" --dist worksteal "$@"
