#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and Redis on free loopback ports, for tests and benchmarks.
#   scripts/services.sh start DIR   installs what is missing (as root), starts both, prints
#                                   DATABASE_URL=... and REDIS_URL=... lines
#   scripts/services.sh stop DIR    stops both and deletes DIR
# DIR must be traversable by the user postgres (not under /root).
set -euo pipefail

cmd=${1:-}
SVC_DIR=${2:-}
[ -n "$cmd" ] && [ -n "$SVC_DIR" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PGDATA=$SVC_DIR/pgdata
PGSOCK=$SVC_DIR/pgsock
DB_NAME=mentoring
DB_USER=mentoring
DB_PASSWORD=mentoring

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

install_missing() {
  local missing=()
  [ -n "$PGBIN" ] && [ -x "$PGBIN/postgres" ] || missing+=(postgresql postgresql-client)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "Missing: ${missing[*]}. Install them (Debian: sudo apt-get install -y ${missing[*]}) and try again," >&2
    echo "or point DATABASE_URL and REDIS_URL at running servers." >&2
    exit 1
  fi
  echo "Installing ${missing[*]} ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
}

start() {
  install_missing
  local as_pg=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    as_pg=(runuser -u postgres --)
  fi
  mkdir -p "$SVC_DIR" "$PGSOCK"
  chmod 755 "$SVC_DIR"
  touch "$SVC_DIR/postgres.log"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGSOCK" "$SVC_DIR/postgres.log"; fi
  cd "$SVC_DIR"  # PostgreSQL's tools complain when the working directory is unreadable to them

  local pgport redisport
  pgport=$(free_port)
  redisport=$(free_port)
  if [ "$(id -u)" = 0 ]; then install -d -o postgres -g postgres -m 700 "$PGDATA"; else install -d -m 700 "$PGDATA"; fi
  "${as_pg[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$SVC_DIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $PGSOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$SVC_DIR/postgres.log" >&2; exit 1; }
  echo "$pgport" > "$SVC_DIR/pgport"
  psql -v ON_ERROR_STOP=1 -q -h 127.0.0.1 -p "$pgport" -U postgres -d postgres >/dev/null <<SQL
CREATE ROLE "$DB_USER" LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
CREATE DATABASE "$DB_NAME" OWNER "$DB_USER";
SQL

  redis-server --port "$redisport" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir "$SVC_DIR" --pidfile "$SVC_DIR/redis.pid" --logfile "$SVC_DIR/redis.log"
  echo "$redisport" > "$SVC_DIR/redisport"
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$redisport" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  redis-cli -h 127.0.0.1 -p "$redisport" ping | grep -q PONG

  echo "DATABASE_URL=postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$pgport/$DB_NAME"
  echo "REDIS_URL=redis://127.0.0.1:$redisport/0"
}

stop() {
  cd /
  if [ -s "$PGDATA/postmaster.pid" ]; then
    if [ "$(id -u)" = 0 ]; then
      runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    else
      "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
  fi
  if [ -s "$SVC_DIR/redisport" ]; then
    redis-cli -h 127.0.0.1 -p "$(cat "$SVC_DIR/redisport")" shutdown nosave >/dev/null 2>&1 || true
  fi
  rm -rf "$SVC_DIR"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
