"""One active executor at a time: a Postgres session advisory lock on a dedicated connection.

The lock lives as long as the connection: a killed process loses it at once (the server sees the
socket close), so a standby takes over on its next tick. If two executors run anyway (a network
partition that keeps a dead connection open), the unique rows and the nonce compare-and-set in
the repository are the fence.
"""

from __future__ import annotations

import logging

import asyncpg

log = logging.getLogger("ballast.intervention.lease")

LEASE_KEY = 0x0BA11A5E  # the intervention executor's advisory lock


class PgLease:
    def __init__(self, dsn: str, key: int = LEASE_KEY) -> None:
        self.dsn = dsn
        self.key = key
        self._conn: asyncpg.Connection | None = None
        self.held = False

    async def acquire(self) -> bool:
        """True while this process holds the lease (re-checks the connection every call)."""
        try:
            if self._conn is None or self._conn.is_closed():
                self.held = False
                self._conn = await asyncpg.connect(self.dsn)
            if self.held:
                await self._conn.fetchval("SELECT 1")
                return True
            self.held = bool(
                await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key)
            )
        except (OSError, asyncpg.PostgresError) as err:
            log.warning("executor lease lost", extra={"error": repr(err)})
            self.held = False
            await self.release()
        return self.held

    async def release(self) -> None:
        conn, self._conn, self.held = self._conn, None, False
        if conn is not None and not conn.is_closed():
            await conn.close()
