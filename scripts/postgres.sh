#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback, for the tests and for trying the postgres sink.
#   scripts/postgres.sh install        install PostgreSQL from Debian's packages when no server is there
#   scripts/postgres.sh start PORT     create a new cluster in a new temporary directory and start it on
#                                      127.0.0.1:PORT; prints `dir=DIR` and `url=URL` (user sluice,
#                                      password $SLUICE_PG_PASSWORD, default `sluice`, database postgres)
#   scripts/postgres.sh stop DIR       stop the server of that directory (started by this script) and remove it
#   scripts/postgres.sh crash DIR      stop it at once, as a crash would (`pg_ctl stop -m immediate`); the data stays
#   scripts/postgres.sh restart DIR    start it again, on the same port, after `crash`
# Any PostgreSQL 11 or later works in production: point the sink's `url` at it.
set -euo pipefail

server_bin() {
  # Debian keeps each major version's programs apart; take the newest.
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_server_user() {
  # PostgreSQL refuses to run as root: run it as the `postgres` account the package created.
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
  install)
    bin="$(server_bin)"
    if [ -n "$bin" ] && [ -x "$bin/postgres" ]; then
      echo "PostgreSQL already installed in $bin"
    else
      sudo=""
      [ "$(id -u)" = 0 ] || sudo="sudo"
      export DEBIAN_FRONTEND=noninteractive
      $sudo apt-get update -q
      # The package also creates (and may start) a default cluster on port 5432; the
      # tests do not use it: they start their own clusters on free ports.
      $sudo apt-get install -y -q --no-install-recommends postgresql
    fi
    # As root the server runs as `postgres` (the package creates that account).
    if [ "$(id -u)" = 0 ] && ! id postgres > /dev/null 2>&1; then
      useradd --system --user-group --no-create-home postgres
    fi
    ;;
  start)
    port="${2:?usage: scripts/postgres.sh start PORT}"
    bin="$(server_bin)"
    [ -n "$bin" ] || { echo "error: PostgreSQL is not installed; run: scripts/postgres.sh install" >&2; exit 2; }
    dir="$(mktemp -d "${TMPDIR:-/tmp}/sluice-pg.XXXXXX")"
    chmod 755 "$dir"
    password="${SLUICE_PG_PASSWORD:-sluice}"
    printf '%s\n' "$password" > "$dir/pwfile"
    if [ "$(id -u)" = 0 ]; then
      chown -R postgres "$dir"
    fi
    as_server_user "$bin/initdb" -D "$dir/data" -U sluice --pwfile="$dir/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 > "$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    echo "$port" > "$dir/port"
    as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start > /dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "dir=$dir"
    echo "url=postgres://sluice:$password@127.0.0.1:$port/postgres"
    ;;
  crash)
    dir="${2:?usage: scripts/postgres.sh crash DIR}"
    as_server_user "$(server_bin)/pg_ctl" -D "$dir/data" -m immediate -w stop > /dev/null
    ;;
  restart)
    dir="${2:?usage: scripts/postgres.sh restart DIR}"
    port="$(cat "$dir/port")"
    as_server_user "$(server_bin)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start > /dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    dir="${2:?usage: scripts/postgres.sh stop DIR}"
    bin="$(server_bin)"
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_server_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null || true
    fi
    case "$dir" in
      */sluice-pg.*) rm -rf "$dir" ;;
    esac
    ;;
  *)
    echo "usage: scripts/postgres.sh install | start PORT | stop DIR | crash DIR | restart DIR" >&2
    exit 2
    ;;
esac
