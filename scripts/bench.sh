#!/usr/bin/env bash
# The benchmarks against real PostgreSQL and Redis (started here on free loopback ports unless
# DATABASE_URL and REDIS_URL are given; stopped on exit). Runs benchmarks/w*.py, or the ones
# named as arguments (a path or a prefix: scripts/bench.sh w4). Each prints one JSON object on
# stdout; progress goes to stderr. Timing never fails the run: the exit status is non-zero only
# when a benchmark crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

benches=()
if [ $# -eq 0 ]; then
  for file in benchmarks/w*.py; do [ -f "$file" ] && benches+=("$file"); done
else
  for arg in "$@"; do
    if [ -f "$arg" ]; then
      benches+=("$arg")
    else
      matches=()
      for file in benchmarks/"$arg"*.py; do [ -f "$file" ] && matches+=("$file"); done
      [ ${#matches[@]} -gt 0 ] || { echo "No benchmark matches: $arg" >&2; exit 2; }
      benches+=("${matches[@]}")
    fi
  done
fi
[ ${#benches[@]} -gt 0 ] || { echo "No benchmarks in benchmarks/w*.py" >&2; exit 2; }

svc_dir=""
cleanup() { if [ -n "$svc_dir" ]; then scripts/services.sh stop "$svc_dir"; fi; }
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  svc_dir=$(mktemp -d /tmp/mentoring-bench-XXXXXX)
  while IFS= read -r line; do
    case "$line" in
      DATABASE_URL=*) [ -n "${DATABASE_URL:-}" ] || export "$line" ;;
      REDIS_URL=*) [ -n "${REDIS_URL:-}" ] || export "$line" ;;
    esac
  done < <(scripts/services.sh start "$svc_dir")
  if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
    echo "Could not start PostgreSQL and Redis (see the messages above)." >&2
    exit 1
  fi
fi
echo "PostgreSQL: ${DATABASE_URL%%@*}@...  Redis: $REDIS_URL" >&2

status=0
for bench in "${benches[@]}"; do
  echo "--- $bench ---" >&2
  rc=0
  $PY "$bench" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "$bench crashed (exit $rc)" >&2
    status=1
  fi
done
exit $status
