"""Migrations apply exactly once, even with several runners starting at the same moment."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from ballast.common.db import load_migrations, migrate
from ballast.testing.pg import connected


def write_migrations(directory: Path) -> None:
    # Not idempotent on purpose: applying 0002 twice would insert two rows.
    (directory / "0001_create.sql").write_text(
        "CREATE TABLE applied_probe (id serial PRIMARY KEY, note text NOT NULL);"
    )
    (directory / "0002_insert.sql").write_text(
        "INSERT INTO applied_probe (note) VALUES ('once'); SELECT pg_sleep(0.2);"
    )


async def test_migrate__two_runners_at_once__each_migration_applies_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    write_migrations(tmp_path)
    migrations = load_migrations(tmp_path)
    conns = [await asyncpg.connect(database_url) for _ in range(2)]
    try:
        results = await asyncio.gather(*(migrate(c, "probe", migrations) for c in conns))
        rows = await conns[0].fetchval("SELECT count(*) FROM applied_probe")
        versions = await conns[0].fetch(
            "SELECT version FROM ballast_migrations WHERE service = 'probe' ORDER BY version"
        )
    finally:
        for c in conns:
            await c.close()
    assert sorted(results, key=len) == [[], [1, 2]]
    assert rows == 1
    assert [r["version"] for r in versions] == [1, 2]


async def test_migrate__file_changed_after_apply__refuses(
    database_url: str, tmp_path: Path
) -> None:
    write_migrations(tmp_path)
    async with connected(database_url) as conn:
        await migrate(conn, "probe", load_migrations(tmp_path))
        (tmp_path / "0002_insert.sql").write_text("SELECT 1;")
        with pytest.raises(RuntimeError, match="changed after it was applied"):
            await migrate(conn, "probe", load_migrations(tmp_path))
