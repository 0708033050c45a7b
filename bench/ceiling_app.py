"""The bare insert route: the ceiling the Open311 intake is measured against (ARCHITECTURE.md,
"Writes on SQLite": "a bare Starlette route with one raw insert").

    .venv/bin/python bench/ceiling_app.py --port 8001 --sqlite DATA_DIR/ioc.sqlite3
    .venv/bin/python bench/ceiling_app.py --port 8001 --postgres postgresql://…/ioc_bench_x

POST /ceiling reads the same form the intake gets, does one INSERT (description, lat, long)
into the scratch table `bench_ceiling` of the same database, commits, and answers like Open311
(`[{"service_request_id": "C-<id>"}]`); GET /readyz answers 200. No ORM, no validation, no
routing: what is left is Starlette, uvicorn, form parsing and the database's own write.

SQLite: one connection used from the event loop, so every insert is its own short transaction
with no lock contention (the single writer, as the database wants it); the same pragmas as the
app (WAL, synchronous=NORMAL). PostgreSQL: a small pool of async psycopg connections in
autocommit, INSERT … RETURNING id.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TABLE = "bench_ceiling"
SQLITE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, description TEXT NOT NULL, "
    "lat REAL, lon REAL, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
)
POSTGRES_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id BIGSERIAL PRIMARY KEY, description TEXT NOT NULL, "
    "lat DOUBLE PRECISION, lon DOUBLE PRECISION, created_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)
PG_POOL = 8


def _answer(new_id: int) -> Response:
    body = json.dumps([{"service_request_id": f"C-{new_id}"}], separators=(",", ":"))
    return Response(body, media_type="application/json; charset=utf-8")


def _fields(form: Any) -> tuple[str, float | None, float | None]:
    def number(name: str) -> float | None:
        value = form.get(name)
        try:
            return float(value) if isinstance(value, str) and value else None
        except ValueError:
            return None

    description = form.get("description")
    return (description if isinstance(description, str) else ""), number("lat"), number("long")


async def readyz(_request: Request) -> Response:
    return Response("ok")


def sqlite_app(path: str) -> Starlette:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "busy_timeout=30000", "synchronous=NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute(SQLITE_DDL)

    async def ceiling(request: Request) -> Response:
        description, lat, lon = _fields(await request.form())
        cursor = conn.execute(
            f"INSERT INTO {TABLE} (description, lat, lon) VALUES (?, ?, ?)", (description, lat, lon)
        )
        return _answer(int(cursor.lastrowid or 0))

    return Starlette(
        routes=[Route("/ceiling", ceiling, methods=["POST"]), Route("/readyz", readyz)]
    )


def postgres_app(conninfo: str) -> Starlette:
    import psycopg

    conninfo = conninfo.replace("postgresql+psycopg://", "postgresql://", 1)
    pool: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for _ in range(PG_POOL):
            pool.put_nowait(await psycopg.AsyncConnection.connect(conninfo, autocommit=True))
        conn = await pool.get()
        await conn.execute(POSTGRES_DDL)
        pool.put_nowait(conn)
        yield
        while not pool.empty():
            await pool.get_nowait().close()

    async def ceiling(request: Request) -> Response:
        description, lat, lon = _fields(await request.form())
        conn = await pool.get()
        try:
            cursor = await conn.execute(
                f"INSERT INTO {TABLE} (description, lat, lon) VALUES (%s, %s, %s) RETURNING id",
                (description, lat, lon),
            )
            row = await cursor.fetchone()
        finally:
            pool.put_nowait(conn)
        return _answer(int(row[0]) if row else 0)

    return Starlette(
        routes=[Route("/ceiling", ceiling, methods=["POST"]), Route("/readyz", readyz)],
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite")
    where.add_argument("--postgres")
    args = parser.parse_args(argv)
    app = sqlite_app(args.sqlite) if args.sqlite else postgres_app(args.postgres)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
