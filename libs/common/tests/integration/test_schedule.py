"""Wall-clock schedules over a real Postgres: once per period across replicas and restarts,
caught up once after a downtime, a failed run tried again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from ballast.common.db import Database
from ballast.common.schedule import Schedule, ensure_table

HOUR = 3600.0
T0 = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.connect("schedule-test")
    await ensure_table(database)
    yield database
    await database.close()


class Counter:
    def __init__(self) -> None:
        self.runs = 0
        self.fail = False

    async def __call__(self) -> None:
        if self.fail:
            raise RuntimeError("the job failed")
        self.runs += 1


def schedule(db: Database, job: Counter, clock: Clock, **kw: bool) -> Schedule:
    return Schedule(db, "test.hourly", HOUR, job, clock=clock, **kw)


async def test_schedule__three_restarts_in_one_hour__the_hourly_job_runs_once(
    db: Database,
) -> None:
    clock, job = Clock(T0 + timedelta(minutes=5)), Counter()
    for minute in (5, 20, 59):  # a "process" per start: a new Schedule each time
        clock.now = T0 + timedelta(minutes=minute)
        await schedule(db, job, clock).run_due()
    assert job.runs == 1


async def test_schedule__downtime_over_five_periods__caught_up_once(db: Database) -> None:
    clock, job = Clock(T0 + timedelta(minutes=1)), Counter()
    assert await schedule(db, job, clock).run_due()
    clock.now = T0 + timedelta(hours=5, minutes=30)
    restarted = schedule(db, job, clock)
    assert await restarted.run_due()
    assert not await restarted.run_due()
    assert job.runs == 2
    clock.now = T0 + timedelta(hours=6)  # the next boundary: the next run
    assert await restarted.run_due()
    assert job.runs == 3


async def test_schedule__two_replicas_at_once__one_runs(db: Database) -> None:
    clock, job = Clock(T0), Counter()
    replicas = [schedule(db, job, clock) for _ in range(4)]
    ran = await asyncio.gather(*(r.run_due() for r in replicas))
    assert sorted(ran) == [False, False, False, True] and job.runs == 1


async def test_schedule__failed_run__claim_rolled_back_and_retried(db: Database) -> None:
    clock, job = Clock(T0), Counter()
    job.fail = True
    first = schedule(db, job, clock)
    with pytest.raises(RuntimeError):
        await first.run_due()
    job.fail = False
    assert await schedule(db, job, clock).run_due()
    assert job.runs == 1


async def test_schedule__not_at_first_start__first_run_at_next_boundary(db: Database) -> None:
    clock, job = Clock(T0 + timedelta(minutes=10)), Counter()
    assert not await schedule(db, job, clock, at_first_start=False).run_due()
    assert not await schedule(db, job, clock, at_first_start=False).run_due()
    clock.now = T0 + timedelta(hours=1, seconds=1)
    assert await schedule(db, job, clock, at_first_start=False).run_due()
    clock.now = T0 + timedelta(hours=9)  # a downtime: one catch-up report
    assert await schedule(db, job, clock, at_first_start=False).run_due()
    assert job.runs == 2


async def test_schedule__short_test_period__runs_each_period(db: Database) -> None:
    job = Counter()
    short = Schedule(db, "test.short", 0.2, job)
    task = asyncio.create_task(short.run())
    await asyncio.sleep(1.1)
    task.cancel()
    assert 4 <= job.runs <= 7
