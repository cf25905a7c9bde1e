#!/bin/sh
# First start: a cluster whose superuser is $POSTGRES_USER (password $POSTGRES_PASSWORD), the database
# $POSTGRES_DB, password logins from the network. Then the server as the postgres user.
set -eu
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ "${1:-}" = postgres ]; then
    mkdir -p "$PGDATA" /run/postgresql
    chown -R postgres:postgres "$PGDATA" /run/postgresql
    chmod 700 "$PGDATA"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
        user=${POSTGRES_USER:-postgres}
        pwfile=$(mktemp) && printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile" && chown postgres "$pwfile"
        as_postgres initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
        rm -f "$pwfile"
        echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
        echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
        if [ "${POSTGRES_DB:-$user}" != postgres ]; then
            echo "CREATE DATABASE \"${POSTGRES_DB:-$user}\" OWNER \"$user\";" | as_postgres postgres --single -D "$PGDATA" -j postgres >/dev/null
        fi
    fi
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
fi
exec "$@"
