#!/usr/bin/env bash
# A throwaway PostgreSQL primary and its streaming replica, for the read-replica tests. Leaves the
# machine's own server alone: both live in DIR, on their own ports, run by the postgres user
# (PostgreSQL refuses to run as root).
#
#   pg-replica-pair.sh start DIR [PRIMARY_PORT] [REPLICA_PORT]   # prints the two URLs
#   pg-replica-pair.sh stop-replica DIR | start-replica DIR        # a replica outage and its end
#   pg-replica-pair.sh stop DIR                                    # stops both and removes DIR
set -euo pipefail

BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$BIN/initdb" ] || { echo "no PostgreSQL server binaries under /usr/lib/postgresql" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cmd="${1:?start, stop, stop-replica or start-replica}"
dir="${2:?a folder for the pair}"

case "$cmd" in
  start)
    primary_port="${3:-54329}"
    replica_port="${4:-54330}"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_pg "$BIN/initdb" -D "$dir/primary" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    cat >>"$dir/primary/postgresql.conf" <<CONF
port = $primary_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 4
shared_buffers = 32MB
fsync = off
CONF
    echo "host replication all 127.0.0.1/32 trust" >>"$dir/primary/pg_hba.conf"
    as_pg "$BIN/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w start >/dev/null
    # -R writes the standby settings (primary_conninfo, standby.signal).
    as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/replica" -R -X stream --no-sync
    cat >>"$dir/replica/postgresql.conf" <<CONF
port = $replica_port
hot_standby = on
CONF
    as_pg "$BIN/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w start >/dev/null
    echo "primary postgres://postgres@127.0.0.1:$primary_port/postgres"
    echo "replica postgres://postgres@127.0.0.1:$replica_port/postgres"
    ;;
  stop-replica)
    as_pg "$BIN/pg_ctl" -D "$dir/replica" -m fast -w stop >/dev/null
    ;;
  start-replica)
    as_pg "$BIN/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w start >/dev/null
    ;;
  stop)
    for node in replica primary; do
      [ -d "$dir/$node" ] && as_pg "$BIN/pg_ctl" -D "$dir/$node" -m immediate -w stop >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 1
    ;;
esac
