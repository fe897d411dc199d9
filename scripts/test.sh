#!/usr/bin/env bash
# The whole test suite against real PostgreSQL and Redis (started here on free loopback ports
# unless DATABASE_URL and REDIS_URL are given), Chromium for the browser tests, then the smoke
# tests of the embedded default on SQLite. Stops what it started, also when tests fail.
# Extra arguments go to pytest (e.g. scripts/test.sh -k directory).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

if ! [ -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's chromium for the browser tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "The browser tests need Debian's Chromium: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi

svc_dir=""
cleanup() { if [ -n "$svc_dir" ]; then scripts/services.sh stop "$svc_dir"; fi; }
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  svc_dir=$(mktemp -d /tmp/mentoring-test-XXXXXX)
  while IFS= read -r line; do
    case "$line" in
      DATABASE_URL=*) [ -n "${DATABASE_URL:-}" ] || export "$line" ;;
      REDIS_URL=*) [ -n "${REDIS_URL:-}" ] || export "$line" ;;
    esac
  done < <(scripts/services.sh start "$svc_dir")
fi
echo "PostgreSQL: ${DATABASE_URL%%@*}@...  Redis: $REDIS_URL"

status=0
$PY -m pytest -m "not embedded" "$@" || status=$?
echo "--- embedded default (SQLite, in-memory layer) ---"
env -u DATABASE_URL -u REDIS_URL -u EMAIL_URL $PY -m pytest -m embedded  || status=$((status ? status : $?))
exit $status
