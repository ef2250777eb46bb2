"""One fresh database per test, on whichever Postgres the session has.

Starting an embedded server lives in `ballast.devstack.postgres`.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from ballast.devstack.postgres import (
    PostgresServer,
    postgres_bin_dir,
    run_embedded_postgres,
)

if TYPE_CHECKING:
    import asyncpg

__all__ = [
    "DatabaseFactory",
    "PostgresServer",
    "connected",
    "database_name",
    "postgres_bin_dir",
    "redact",
    "run_embedded_postgres",
    "with_database",
]


# ------------------------------------------------------------------------------ databases
def with_database(dsn: str, database: str) -> str:
    """`dsn` pointing at another database (keeps user, host, port and query options)."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


def redact(dsn: str) -> str:
    """`dsn` without its password, for error messages."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class DatabaseFactory:
    """Creates uniquely named empty databases on one server, and drops them again.

    One admin connection serves the whole session (a connect costs more than a CREATE DATABASE).
    Names are `t_<session hex>_<n>`, so a database left behind by a killed run says whose it was.
    """

    admin_dsn: str
    session: str = field(default_factory=lambda: secrets.token_hex(4))
    created: set[str] = field(default_factory=lambda: set())
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _conn: asyncpg.Connection | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def _admin(self) -> asyncpg.Connection:
        import asyncpg

        if self._conn is None or self._conn.is_closed():
            try:
                self._conn = await asyncpg.connect(self.admin_dsn, timeout=10)
            except (OSError, asyncpg.PostgresError) as exc:
                raise RuntimeError(
                    f"cannot connect to the Postgres admin URL {redact(self.admin_dsn)}: {exc!r}"
                ) from exc
        return self._conn

    async def create(self) -> str:
        """CREATE DATABASE from template0 (always pristine, unlike template1); returns its URL."""
        name = f"t_{self.session}_{next(self._counter)}"
        async with self._lock:
            conn = await self._admin()
            await conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        self.created.add(name)
        return with_database(self.admin_dsn, name)

    async def drop(self, name: str) -> None:
        """Drop a database, ending its sessions first (WITH (FORCE), Postgres 13+)."""
        async with self._lock:
            conn = await self._admin()
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.discard(name)

    async def close(self) -> None:
        """Drop whatever this session still owns, then close the admin connection."""
        for name in sorted(self.created):
            await self.drop(name)
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


@asynccontextmanager
async def connected(dsn: str) -> AsyncGenerator[asyncpg.Connection]:
    """One connection to `dsn` for the block (a test reading what a service wrote), then closed."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


def database_name(url: str) -> str:
    """The database a URL points at."""
    return urlsplit(url).path.lstrip("/")
