"""Postgres: the service's `Database`, an asyncpg pool factory and a small migration runner.

Why a small runner rather than alembic or yoyo: services talk to Postgres through asyncpg only,
migrations are plain ordered SQL files per service, and the one hard requirement, that several
replicas starting at once apply each migration exactly once, is a transaction-scoped advisory
lock plus a versions table. That is forty lines; a framework would add a second driver and a
synchronous engine to every service.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import ssl
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

import asyncpg

from ballast.common.cancel import stopping
from ballast.common.tlsfailure import TlsRefusedError, server_of, tls_failure

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

log = logging.getLogger("ballast.db")

_MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
CLOSE_SECONDS = 10.0
PROBE_SECONDS = 1.0  # how often a service asks Postgres whether it answers (its readiness)
_LOCK_KEY = 0x0BA11A57  # one advisory lock for all Ballast migrations


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


Row = TypeVar("Row", bound="DataclassInstance")


class Columns(Protocol):
    """A row by column name: an asyncpg.Record, a dict."""

    def __getitem__(self, name: str, /) -> Any: ...


def from_row(cls: type[Row], row: Columns, **converted: Any) -> Row:
    """The dataclass `cls` with each field from the row's column of the same name, but those
    given in `converted` (the columns that need a conversion, done by the caller)."""
    columns = {f.name: row[f.name] for f in fields(cls) if f.name not in converted}
    return cls(**columns, **converted)


def load_migrations(directory: Path) -> list[Migration]:
    """Files named `NNNN_name.sql`, in version order. Any other .sql name is an error."""
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if not match:
            raise ValueError(f"migration file name must be NNNN_name.sql: {path.name}")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text()))
    versions = [mig.version for mig in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration versions in {directory}")
    return found


async def _no_session_state(_: asyncpg.Connection) -> None:
    """The pool's reset of a connection given back: nothing to send. asyncpg's default sends
    `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every release, one
    more round trip per use (about a tenth of a treasury.state's or a decision's Postgres time:
    docs/perf/path.md), to undo session state Ballast never makes: its settings are `SET LOCAL`,
    its advisory locks transaction-scoped, no LISTEN, no cursor outside a transaction. An open
    transaction is still rolled back before this runs (asyncpg does that itself)."""


_LOCK_KEYS: dict[str, int] = {}


@asynccontextmanager
async def locked_transaction(conn: Any, name: str) -> AsyncGenerator[None]:
    """A transaction that holds the advisory lock `hashtext(name)` from its start, committed on
    a normal exit and rolled back on an error. BEGIN and the lock go in one round trip
    (`conn.transaction()` sends BEGIN alone, then the lock is a second): on the price ->
    decision path every round trip counts (docs/perf/path.md). The key is the server's
    `hashtext`, asked once per name, so a replica taking the lock the old way still excludes."""
    key = _LOCK_KEYS.get(name)
    if key is None:
        key = _LOCK_KEYS[name] = int(await conn.fetchval("SELECT hashtext($1)", name))
    await conn.execute(f"BEGIN; SELECT pg_advisory_xact_lock({key:d})")
    try:
        yield
    except BaseException:
        if not conn.is_closed() and conn.is_in_transaction():
            with contextlib.suppress(Exception):  # a broken connection: the pool drops it
                await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool on `dsn` (TLS per its `sslmode` and `sslrootcert`); a TLS handshake that fails is
    TlsRefusedError, one line naming the server and DATABASE_URL's settings."""
    try:
        return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size,
                                         reset=_no_session_state)
    except ssl.SSLError as err:
        line = tls_failure(err, server_of(dsn), "DATABASE_URL's sslrootcert (and sslmode)")
        log.error("database TLS refused", extra={"error": line})
        raise TlsRefusedError(line or str(err)) from err


async def migrate(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
    service: str,
    migrations: list[Migration],
) -> list[int]:
    """Apply pending migrations of `service` exactly once, even with concurrent runners.

    Everything runs in one transaction holding a transaction-scoped advisory lock: a second
    runner waits, then sees the versions the first recorded and applies nothing. A migration
    whose file changed after it was applied is an error (checksums are recorded).
    """
    applied_now: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS ballast_migrations (
                   service text NOT NULL,
                   version integer NOT NULL,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (service, version))"""
        )
        rows = await conn.fetch(
            "SELECT version, checksum FROM ballast_migrations WHERE service = $1", service
        )
        done = {int(r["version"]): str(r["checksum"]) for r in rows}
        for mig in migrations:
            if mig.version in done:
                if done[mig.version] != mig.checksum:
                    raise RuntimeError(
                        f"migration {service}/{mig.version:04d}_{mig.name} changed after it was "
                        "applied; add a new migration instead"
                    )
                continue
            await conn.execute(mig.sql)
            await conn.execute(
                "INSERT INTO ballast_migrations (service, version, name, checksum) "
                "VALUES ($1, $2, $3, $4)",
                service,
                mig.version,
                mig.name,
                mig.checksum,
            )
            applied_now.append(mig.version)
            log.info("migration applied", extra={"service": service, "version": mig.version})
    return applied_now


class Database:
    """The service's Postgres: created in the constructor, connected at start.

    Repositories take it in their constructors (no "not started" wiring later) and use it as
    they used the pool (`fetch`, `fetchval`, `fetchrow`, `execute`, `acquire`). `unit_of_work()`
    is one connection in one transaction: the rows and the outbox messages of one change
    commit together or not at all.
    """

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self._dsn = dsn
        self._sizes = (min_size, max_size)
        self._pool: asyncpg.Pool | None = None
        self._answers = True  # the last probe's outcome (see `probe`)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database is not connected yet (the service has not started)")
        return self._pool

    @property
    def connected(self) -> bool:
        """Connected, and Postgres answered the last `probe` (the readiness check): a pool
        outlives the server behind it, so its existence alone says nothing."""
        return self._pool is not None and not self._pool.is_closing() and self._answers

    async def probe(self) -> bool:
        """`SELECT 1` through the pool within PROBE_SECONDS: whether Postgres answers now. The
        service runs it every PROBE_SECONDS; `connected` reports its outcome."""
        pool = self._pool
        if pool is None:
            return False
        try:
            async with asyncio.timeout(PROBE_SECONDS):
                await pool.fetchval("SELECT 1")
            self._answers = True
        except Exception:  # noqa: BLE001 - any failure to answer is "not answering"
            stopping()  # a cancel a library turned into its own error is still a stop
            self._answers = False
        return self._answers

    async def connect(self, service: str, migrations_dir: Path | None = None) -> None:
        self._pool = await create_pool(self._dsn, min_size=self._sizes[0],
                                       max_size=self._sizes[1])
        if migrations_dir is not None:
            async with self._pool.acquire() as conn:
                await migrate(conn, service, load_migrations(migrations_dir))

    async def close(self) -> None:
        """Close the pool; connections not given back within CLOSE_SECONDS are terminated."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), CLOSE_SECONDS)
        except TimeoutError:
            log.error("database connections still in use at close: terminated",
                      extra={"seconds": CLOSE_SECONDS})
            pool.terminate()

    def acquire(self) -> Any:
        return self.pool.acquire()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncGenerator[asyncpg.pool.PoolConnectionProxy]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self.pool.fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        return await self.pool.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self.pool.fetchval(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        return await self.pool.execute(query, *args)

    async def executemany(self, query: str, args: Any) -> None:
        await self.pool.executemany(query, args)


Postgres: TypeAlias = "asyncpg.Pool | Database"
"""What a repository takes: the service's Database, or a bare pool in a test."""
