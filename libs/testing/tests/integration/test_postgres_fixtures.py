"""database_url: a fresh, empty database per test, dropped after it even with sessions open."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import asyncpg
import pytest_asyncio

from ballast.testing.pg import connected, database_name


@pytest_asyncio.fixture(loop_scope="session")
async def still_open() -> AsyncGenerator[list[asyncpg.Connection]]:
    """Connections a test leaves open on purpose, closed after `database_url` dropped their
    database under them."""
    conns: list[asyncpg.Connection] = []
    yield conns
    for conn in conns:
        conn.terminate()


@pytest_asyncio.fixture(loop_scope="session")
async def gone_after(postgres: str) -> AsyncGenerator[list[str]]:
    """Requested before `database_url`, so this teardown runs after its drop: the databases the
    test lists here must no longer exist."""
    names: list[str] = []
    yield names
    admin = await asyncpg.connect(postgres)
    try:
        rows = await admin.fetch("SELECT datname FROM pg_database WHERE datname = any($1)", names)
    finally:
        await admin.close()
    assert names and not rows, f"still there: {[r['datname'] for r in rows]}"


async def test_database_url__fresh__empty_and_named_for_this_test(
    still_open: list[asyncpg.Connection], gone_after: list[str], database_url: str
) -> None:
    gone_after.append(database_name(database_url))
    conn = await asyncpg.connect(database_url)
    still_open.append(conn)  # the drop must end this session itself
    tables = await conn.fetchval(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
    )
    assert await conn.fetchval("SELECT current_database()") == database_name(database_url)
    assert tables == 0
    await conn.execute("CREATE TABLE t (id int primary key)")


async def test_database_url__two_tests__do_not_share(
    gone_after: list[str], database_url: str
) -> None:
    gone_after.append(database_name(database_url))
    async with connected(database_url) as conn:
        assert await conn.fetchval("SELECT to_regclass('public.t')") is None
