"""The services' pool on a real Postgres: a connection given back costs no reset query, and still
comes back clean (no transaction left open, no `SET LOCAL` outliving its transaction)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ballast.common.db import create_pool, locked_transaction


async def test_pool__given_back__the_server_sees_no_reset_query(database_url: str) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    observer = await asyncpg.connect(database_url)
    try:
        async with pool.acquire() as conn:
            pid = await conn.fetchval("SELECT pg_backend_pid() -- the last before release")
        # pg_stat_activity keeps a backend's last statement while it is idle: asyncpg's default
        # reset (pg_advisory_unlock_all, CLOSE ALL, UNLISTEN, RESET ALL) would be in its place
        last = await observer.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
    finally:
        await observer.close()
        await pool.close()
    assert last == "SELECT pg_backend_pid() -- the last before release"


async def test_pool__given_back_mid_transaction__rolled_back_before_reuse(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("CREATE TABLE pool_probe (n int)")
            pid = await conn.fetchval("SELECT pg_backend_pid()")
            await conn.execute("BEGIN")  # given back below without a commit
            await conn.execute("SET LOCAL statement_timeout TO 1234")
            await conn.execute("INSERT INTO pool_probe VALUES (1)")
        async with pool.acquire() as conn:
            reused = await conn.fetchval("SELECT pg_backend_pid()") == pid
            state = (await conn.fetchval("SELECT count(*) FROM pool_probe"),
                     await conn.fetchval("SHOW statement_timeout"), conn.is_in_transaction())
    finally:
        await pool.close()
    assert reused  # the pool's one connection
    assert state == (0, "0", False)


async def test_locked_transaction__two_holders__the_second_waits_then_sees_the_first(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, min_size=2, max_size=2)
    order: list[str] = []
    try:
        await pool.execute("CREATE TABLE lock_probe (who text)")

        async def hold(who: str, seconds: float) -> int:
            async with pool.acquire() as conn, locked_transaction(conn, "probe:one"):
                seen = int(await conn.fetchval("SELECT count(*) FROM lock_probe"))
                order.append(f"{who} in")
                await asyncio.sleep(seconds)
                await conn.execute("INSERT INTO lock_probe VALUES ($1)", who)
                order.append(f"{who} out")
                return seen

        first = asyncio.create_task(hold("a", 0.3))
        await asyncio.sleep(0.1)
        seen_by_second = await hold("b", 0)
        seen_by_first = await first
    finally:
        await pool.close()
    assert order == ["a in", "a out", "b in", "b out"]
    assert (seen_by_first, seen_by_second) == (0, 1)  # b read after a committed


async def test_locked_transaction__an_error__rolled_back_and_the_lock_free(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        await pool.execute("CREATE TABLE lock_probe (n int)")
        with pytest.raises(RuntimeError, match="boom"):
            async with pool.acquire() as conn, locked_transaction(conn, "probe:two"):
                await conn.execute("INSERT INTO lock_probe VALUES (1)")
                raise RuntimeError("boom")
        async with pool.acquire() as conn:
            rows = await conn.fetchval("SELECT count(*) FROM lock_probe")
            free = await conn.fetchval(
                "SELECT pg_try_advisory_lock(hashtext('probe:two'))")
            in_tx = conn.is_in_transaction()
            await conn.execute("SELECT pg_advisory_unlock_all()")
    finally:
        await pool.close()
    assert (rows, free, in_tx) == (0, True, False)
