#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests (the CTest fixture "postgres").
#
#   pg-test-cluster.sh start STATE_FILE   initdb in a new folder under /tmp, start it on a free
#                                         loopback port (unix socket in that folder), write
#                                         STATE_FILE (shell variables, see below)
#   pg-test-cluster.sh stop STATE_FILE    stop it (immediate) and remove its folder
#
# STATE_FILE holds FASTGPU_TEST_PG_URL (postgres://fastgpu@127.0.0.1:PORT/postgres, a
# superuser), FASTGPU_TEST_PG_PASSWORD (its password: TCP logins need it), PG_DIR and PG_BIN.
# initdb and postgres refuse to run as root: as root they run as the user "postgres" (the
# Debian package's) or, without it, "nobody", on a folder that user owns.
# Without the PostgreSQL binaries this FAILS (exit 1) with the command that installs them:
# the tests that need the cluster must not pass silently.
set -euo pipefail

action="${1:-}"
state="${2:-}"
if [ -z "$action" ] || [ -z "$state" ]; then
  echo "usage: $0 start|stop STATE_FILE" >&2
  exit 2
fi

find_bin() {
  for dir in /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null || true)"; do
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

# Runs "$@" as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

stop_cluster() {
  [ -f "$state" ] || return 0
  # shellcheck disable=SC1090
  . "$state"
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    owner="$(stat -c %U "$PG_DIR/data")"
    as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [ -n "${PG_DIR:-}" ] && case "$PG_DIR" in /tmp/fastgpu-pg.*) rm -rf "$PG_DIR" ;; esac
  rm -f "$state"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_cluster() {
  local bin
  if ! bin="$(find_bin)"; then
    echo "FAIL: PostgreSQL 15 server binaries (initdb, pg_ctl) not found in" \
         "/usr/lib/postgresql/15/bin; install them with scripts/install-deps.sh" \
         "(Debian package postgresql)" >&2
    exit 1
  fi
  stop_cluster  # a cluster left by an interrupted run
  owner="$(id -un)"
  if [ "$(id -u)" -eq 0 ]; then
    owner=postgres
    getent passwd postgres >/dev/null || owner=nobody
  fi
  local dir password
  dir="$(mktemp -d /tmp/fastgpu-pg.XXXXXX)"
  chmod 0755 "$dir"
  password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" -eq 0 ] && chown -R "$owner" "$dir"
  if ! as_owner "$bin/initdb" -D "$dir/data" -U fastgpu --pwfile="$dir/pwfile" \
       --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C \
       --no-sync >"$dir/initdb.log" 2>&1; then
    echo "FAIL: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    exit 1
  fi
  rm -f "$dir/pwfile"
  # A free port can be taken between the look and the bind: try a few.
  local port="" try
  for try in 1 2 3 4 5; do
    port="$(free_port)"
    # fsync off (unless FASTGPU_PG_FSYNC=on, as the benchmarks set): the cluster lives as long
    # as the test run (a crash of the machine loses it anyway); the tests kill fastgpu
    # servers, never this postgres.
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
         -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=${FASTGPU_PG_FSYNC:-off} -c max_connections=200" \
         start >/dev/null 2>&1; then
      break
    fi
    port=""
  done
  if [ -z "$port" ]; then
    echo "FAIL: postgres did not start:" >&2
    tail -20 "$dir/postgres.log" >&2 || true
    rm -rf "$dir"
    exit 1
  fi
  cat >"$state" <<EOF
FASTGPU_TEST_PG_URL=postgres://fastgpu@127.0.0.1:$port/postgres
FASTGPU_TEST_PG_PASSWORD=$password
PG_DIR=$dir
PG_BIN=$bin
EOF
  echo "postgres test cluster on 127.0.0.1:$port in $dir"
}

case "$action" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  *) echo "usage: $0 start|stop STATE_FILE" >&2; exit 2 ;;
esac
