"""Seed a PostgreSQL database at scale for the websocket load benchmark (bench/ws_load.py).

    .venv/bin/python bench/seed_scale.py [--db autogestion_bench] [--customers 100000] [--invoices-per-supply 20]
                                         [--review-items 3000] [--bcrypt-cost 12] [--conn-limit 60] [--drop]
    .venv/bin/python bench/seed_scale.py --remove      # drop the database and its role afterwards

What it writes (all server-side `INSERT … SELECT generate_series`, one statement per table, so the
2,000,000 invoices take about a minute, not hours):

- `--customers` active customers (DNI 40000000 + n, DNI legible), each with one supply of their own
  (number 3000000000 + n) linked as holder and **validado**, and `--invoices-per-supply` monthly
  invoices per supply (the newest unpaid, the rest paid), like services/demo.py but at scale;
- `--review-items` further customers whose DNI photo waits in the operators' queue (pending items, some
  past their 24-business-hour deadline), so `/operador` has a real queue to page through;
- one operator (`bench.operador`).

Every account (customers and the operator) gets **the same bcrypt hash** of BENCH_PASSWORD, computed
once at `--bcrypt-cost` (12 by default, production's `AUTOGESTION_BCRYPT_COST`: at a lower cost the
login's own work — page, picture, session — weighs more against bcrypt than it does in production;
ws_load.py runs the server at the cost it finds in these hashes, and compares logins/s with raw bcrypt at
that same cost): hashing 100,000 distinct passwords would take hours of CPU
and change nothing the benchmark measures (a login verifies one hash either way). The benchmark logs in
as these known users.

The database belongs to a role of the same name with a CONNECTION LIMIT (`--conn-limit`, 60 by default),
and the portal under test connects as that role: the machine's PostgreSQL allows 100 connections for
everyone, and a portal whose workers' pools together ask for more (4 workers × (10 + 20) = 120) then fails
in the bench ("too many connections for role") instead of taking the connections of everybody else's
tests on the shared server (a superuser would not be held to the limit).

The database is created when missing, migrated with `autogestion migrate` (DATABASE_URL pointing at it),
and left as it is when it already holds users unless `--drop` is given (then it is dropped and made anew).
Only 127.0.0.1 / localhost servers are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import time
from pathlib import Path

import asyncpg
import bcrypt

ROOT = Path(__file__).resolve().parent.parent
BENCH_PASSWORD = "Bench.Clave2026"
BENCH_OPERATOR = "bench.operador"
FIRST_DOC = 40_000_000
FIRST_SUPPLY = 3_000_000_000
LOCAL = ("127.0.0.1", "localhost", "::1")


def customer_document(n: int) -> str:
    """The DNI of bench customer n (1-based): what ws_load.py types in the login form."""
    return str(FIRST_DOC + n)


def supply_number(n: int) -> str:
    return str(FIRST_SUPPLY + n)


def database_url(name: str, host: str = "127.0.0.1", port: int = 5432, user: str | None = None) -> str:
    """The bench database's URL; it is reached as its own role (same name as the database)."""
    return f"postgresql+asyncpg://{user or name}@{host}:{port}/{name}"


async def _create_database(args) -> bool:
    """Create (or with --drop re-create) the database; False when it exists with data and no --drop."""
    admin = await asyncpg.connect(host=args.host, port=args.port, user=args.user, database="postgres")
    try:
        if await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", args.db):
            await admin.execute(f'ALTER ROLE "{args.db}" LOGIN NOSUPERUSER CONNECTION LIMIT {args.conn_limit}')
        else:
            await admin.execute(f'CREATE ROLE "{args.db}" LOGIN NOSUPERUSER CONNECTION LIMIT {args.conn_limit}')
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", args.db)
        if exists and args.drop:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                args.db,
            )
            await admin.execute(f'DROP DATABASE "{args.db}"')
            exists = False
        if not exists:
            await admin.execute(f'CREATE DATABASE "{args.db}" OWNER "{args.db}"')
            return True
    finally:
        await admin.close()
    conn = await asyncpg.connect(host=args.host, port=args.port, user=args.db, database=args.db)
    try:
        has_users = await conn.fetchval("SELECT to_regclass('users') IS NOT NULL")
        if has_users and await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users)"):
            return False
    finally:
        await conn.close()
    return True


def _migrate(url: str) -> None:
    env = dict(os.environ, DATABASE_URL=url, AUTOGESTION_ENV="dev")
    subprocess.run([str(ROOT / ".venv" / "bin" / "autogestion"), "migrate"], check=True, env=env, cwd=ROOT)


SQL_USERS = """
INSERT INTO users (doc_type, doc_number, password_hash, first_names, last_names, email, email_norm, phone_e164,
                   status, created_at, activated_at, failed_logins, dni_status)
SELECT 'DNI', ($2 + g)::text, $1, 'Cliente', 'Bench ' || g,
       'cliente' || g || '@bench.example', 'cliente' || g || '@bench.example', '+549264' || lpad(g::text, 7, '0'),
       'active', now() - interval '400 days', now() - interval '400 days', 0, $4
FROM generate_series($3::int, $5::int) AS g
"""

SQL_SUPPLIES = """
INSERT INTO supplies (number, status, tariff_group, holder_name, holder_doc_type, holder_doc_number,
                      collection_status, address)
SELECT ($1::bigint + g)::text, '0', 'DT1 (TRA-RSD)', 'Cliente Bench ' || g, 'DNI', ($2 + g)::text,
       'NORMAL', 'Calle ' || (g % 900 + 1) || ' ' || (g % 3000 + 100) || ' (O), Capital, San Juan'
FROM generate_series(1, $3::int) AS g
"""

SQL_LINKS = """
INSERT INTO supply_links (user_id, supply_number, is_holder, status, created_at, validated_at, reject_reason,
                          digital_invoice)
SELECT u.id, ($1::bigint + (u.doc_number::bigint - $2))::text, true, 'validado',
       now() - interval '390 days', now() - interval '389 days', '', false
FROM users u
WHERE u.doc_number::bigint BETWEEN $2 + 1 AND $2 + $3
"""

# Period k months back (k = 1 is last month), issued on the 5th of the next month, due 15 days later.
SQL_INVOICES = """
INSERT INTO invoices (id, supply_number, number, period, issued_on, due_on, amount_cents, status, consumption_kwh)
SELECT md5(s::text || '-' || k),
       ($1::bigint + s)::text,
       '0099-' || lpad(((s - 1) * $3 + k)::text, 9, '0'),
       to_char(date_trunc('month', now()) - make_interval(months => k), 'YYYY-MM'),
       (date_trunc('month', now()) - make_interval(months => k - 1) + interval '4 days')::date,
       (date_trunc('month', now()) - make_interval(months => k - 1) + interval '19 days')::date,
       520000 + ((s * 7919 + k * 104729) % 300) * 7500,
       CASE WHEN k = 1 THEN 'impaga' ELSE 'pagada' END,
       ((s * 7919 + k * 104729) % 300) + 80
FROM generate_series(1, $2::int) AS s, generate_series(1, $3::int) AS k
"""

SQL_REVIEW = """
INSERT INTO review_items (kind, user_id, supply_number, doc_number, submitted_at, deadline_at, priority, status,
                          decision, reason)
SELECT 'dni', u.id, '', u.doc_number,
       now() - make_interval(mins => (u.id % 4000)), now() + make_interval(hours => (u.id % 60) - 20),
       CASE WHEN u.id % 50 = 0 THEN 1 ELSE 0 END, 'pendiente', '', ''
FROM users u
WHERE u.dni_status = 'en_analisis' AND u.doc_number::bigint > $1
"""

SQL_OPERATOR = """
INSERT INTO operators (username, full_name, password_hash, role, active, created_at, failed_logins)
VALUES ($1, 'Operador de Benchmark', $2, 'operador', true, now(), 0)
ON CONFLICT (username) DO NOTHING
"""


async def seed(args) -> None:
    url = database_url(args.db, args.host, args.port)
    if not await _create_database(args):
        print(f"{args.db} is already seeded (pass --drop to make it anew)")
        return
    t0 = time.perf_counter()
    _migrate(url)
    cost = args.bcrypt_cost
    # One hash for everyone (see the module docstring).
    password_hash = bcrypt.hashpw(BENCH_PASSWORD.encode(), bcrypt.gensalt(cost)).decode("ascii")
    conn = await asyncpg.connect(host=args.host, port=args.port, user=args.db, database=args.db)
    try:
        steps = [
            ("customers", SQL_USERS, (password_hash, FIRST_DOC, 1, "legible", args.customers)),
            (
                "customers waiting for DNI review",
                SQL_USERS,
                (password_hash, FIRST_DOC, args.customers + 1, "en_analisis", args.customers + args.review_items),
            ),
            ("supplies", SQL_SUPPLIES, (FIRST_SUPPLY, FIRST_DOC, args.customers)),
            ("validated links", SQL_LINKS, (FIRST_SUPPLY, FIRST_DOC, args.customers)),
            ("invoices", SQL_INVOICES, (FIRST_SUPPLY, args.customers, args.invoices_per_supply)),
            ("review items", SQL_REVIEW, (FIRST_DOC + args.customers,)),
            ("operator", SQL_OPERATOR, (BENCH_OPERATOR, password_hash)),
        ]
        for label, sql, params in steps:
            t = time.perf_counter()
            status = await conn.execute(sql, *params)
            print(f"{label:34s} {status.split()[-1]:>10s} rows  {time.perf_counter() - t:6.1f} s", flush=True)
        t = time.perf_counter()
        # VACUUM, not only ANALYZE: a fresh bulk load has no visibility map and no hint bits, so the bench's
        # first reads would write them back (measured with 2 workers: data handlers p95 170-420 ms before,
        # 122 ms after; storm 59-62 % of bcrypt before, 75 % after) — and this machine's PostgreSQL runs
        # without autovacuum. Production's tables are vacuumed by autovacuum.
        await conn.execute("VACUUM (FREEZE, ANALYZE)")
        print(f"{'vacuum, analyze':34s} {'':>10s}       {time.perf_counter() - t:6.1f} s")
        size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
    finally:
        await conn.close()
    print(f"{args.db}: seeded in {time.perf_counter() - t0:.0f} s, {size}; DATABASE_URL={url}")
    print(f"customers log in with DNI {customer_document(1)}…{customer_document(args.customers)} / {BENCH_PASSWORD}")
    print(f"operator: {BENCH_OPERATOR} / {BENCH_PASSWORD}")


async def remove(args) -> None:
    admin = await asyncpg.connect(host=args.host, port=args.port, user=args.user, database="postgres")
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            args.db,
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        await admin.execute(f'DROP ROLE IF EXISTS "{args.db}"')
    finally:
        await admin.close()
    print(f"{args.db}: database and role dropped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="autogestion_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--user", default="postgres", help="an administrator: creates the role and the database")
    parser.add_argument("--conn-limit", type=int, default=60, help="connections the bench role may hold")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices-per-supply", type=int, default=20)
    parser.add_argument("--review-items", type=int, default=3_000)
    parser.add_argument("--bcrypt-cost", type=int, default=12, choices=range(10, 16), metavar="10..15")
    parser.add_argument("--drop", action="store_true", help="drop the database first if it exists")
    parser.add_argument("--remove", action="store_true", help="only drop the database and its role")
    args = parser.parse_args(argv)
    if args.host not in LOCAL:
        parser.error("only a PostgreSQL on this machine (127.0.0.1 / localhost) is seeded")
    if not args.db.replace("_", "").isalnum():
        parser.error("--db: letters, digits and _ only")
    asyncio.run(remove(args) if args.remove else seed(args))


if __name__ == "__main__":
    main()
