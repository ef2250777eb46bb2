"""Wall-clock schedules over Postgres: a job runs once per period, across replicas and restarts.

The seed's schedules (hourly accumulation, daily liquidity, 6-hour performance, 2-hour risk, the
6-hour status report) are periods aligned to the epoch in UTC: a period of P seconds starts at
every multiple of P since 1970-01-01T00:00Z, so a daily job's periods start at 00:00 UTC, a
6-hour job's at 00, 06, 12 and 18 h, and a test's 2-second period every even second.

A period is claimed by inserting `(job, period_start)` into `ballast_schedule`, and the job runs
inside the claim's transaction: a second replica's insert waits on the first one's row, then
sees it committed and skips; a job that fails rolls its claim back and is tried again at the
next check. Only the current period is ever claimed, so after a downtime spanning several
periods the job runs once (catch-up), not once per missed period. A restart inside a period
finds the period claimed and runs nothing.

Why not a cron library: every period the seed names divides a day and is counted from midnight
UTC, so `floor(now / P) * P` is the whole "expression"; Postgres is already the coordination
point (the migrations' advisory lock), so a scheduler with its own job store would be a second
one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ballast.common.cancel import stopping
from ballast.common.db import Database

log = logging.getLogger("ballast.schedule")

Job = Callable[[], Awaitable[None]]
Clock = Callable[[], datetime]

MAX_CHECK_SECONDS = 60.0
KEEP_PERIODS = 50
"""Claims older than this many periods are deleted when a new period is claimed."""
_LOCK_KEY = 0x0BA11A58

TABLE = """CREATE TABLE IF NOT EXISTS ballast_schedule (
    job text NOT NULL,
    period_start timestamptz NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job, period_start))"""


def period_start(now: datetime, period: float) -> datetime:
    """The start of the epoch-aligned UTC period of `period` seconds that `now` falls in."""
    if period <= 0:
        raise ValueError(f"a schedule's period must be positive, not {period}")
    seconds = now.timestamp()
    return datetime.fromtimestamp(seconds - seconds % period, UTC)


def wall_clock() -> datetime:
    return datetime.now(UTC)


async def ensure_table(db: Database) -> None:
    """Create `ballast_schedule` once (concurrent starters wait on an advisory lock)."""
    async with db.unit_of_work() as conn:
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(TABLE)


@dataclass
class Schedule:
    """One job on one period. `run_due()` claims the current period and runs the job when no
    one has; `run()` checks at every period boundary (and at least every minute) forever.

    `at_first_start`: when the job has never run in this database, run it in the current
    period (True) or only claim that period, so the first run is at the next boundary (False:
    "never at start", the status report).
    """

    db: Database
    job_name: str
    period: float
    job: Job
    clock: Clock = wall_clock
    at_first_start: bool = True
    ran: int = 0
    _done: datetime | None = None

    @property
    def check_seconds(self) -> float:
        return min(MAX_CHECK_SECONDS, max(self.period / 4, 0.05))

    async def run_due(self) -> bool:
        """Claim the current period and run the job in the claim's transaction; True when this
        call ran it. A job that raises rolls the claim back (the error propagates)."""
        start = period_start(self.clock(), self.period)
        if start == self._done:
            return False
        async with self.db.unit_of_work() as conn:
            first = not self.at_first_start and not await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM ballast_schedule WHERE job = $1)", self.job_name
            )
            claimed = await conn.fetchval(
                "INSERT INTO ballast_schedule (job, period_start) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING RETURNING true", self.job_name, start,
            )
            if claimed and not first:
                await self.job()
                await conn.execute(
                    "DELETE FROM ballast_schedule WHERE job = $1 AND period_start < $2",
                    self.job_name, start - timedelta(seconds=self.period * KEEP_PERIODS),
                )
        self._done = start
        if claimed and not first:
            self.ran += 1
            log.info("scheduled job ran", extra={"job": self.job_name, "period": start.isoformat()})
            return True
        return False

    def seconds_to_next(self) -> float:
        now = self.clock()
        due = period_start(now, self.period) + timedelta(seconds=self.period)
        return max(0.0, min(self.check_seconds, (due - now).total_seconds()))

    async def run(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:
                stopping()  # a stop, not a failed job
                log.exception("scheduled job failed", extra={"job": self.job_name})
            await asyncio.sleep(self.seconds_to_next() + 0.001)
