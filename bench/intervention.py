"""Intervention benchmark: decision latency, treasury.state -> intervention.decided.

Prints figures, never a verdict:
- the pure rule evaluation (domain.rules.evaluate) alone, p50/p99;
- the service path, in-process over real NATS JetStream and Postgres: a TreasuryState published
  on `treasury.state` -> the service's durable consumer -> history and pause read, evaluation and
  record in one Postgres transaction -> `intervention.decided` published (stream ack) -> received
  by a plain subscriber. Two figures: inside the handler (state received -> decided published,
  what issue #6 asks for) and end to end (publish -> decided received, adding both bus hops).
  The first state of the run acts; the rest are blocked by the daily limit, which is the common
  case in production (a state every cycle, at most one intervention a day) and costs the same
  transaction.

    .venv/bin/python bench/intervention.py      # NATS_URL, else a private nats-server;
                                                # DATABASE_URL (admin), else postgres@127.0.0.1
    BENCH_STATES=2000 .venv/bin/python bench/intervention.py
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import nats

from ballast.common import subjects
from ballast.common.messages import (
    ConsensusStatus,
    ExecutionMode,
    Holding,
    InputStatus,
    InterventionDecision,
    SafetyMode,
    StateStatus,
    TreasuryState,
)
from ballast.common.subjects import Namespace
from ballast.devstack.nats import nats_url_or_private
from ballast.intervention.main import InterventionApp
from ballast.intervention.settings import InterventionSettings
from ballast.strategy.decision import History, evaluate
from ballast.strategy.policy import Policy

STATES = int(os.environ.get("BENCH_STATES", "500"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20000"))
ADMIN_DSN = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def state(now: datetime, seq: int = 0) -> TreasuryState:
    return TreasuryState(
        computed_at=now - timedelta(microseconds=seq),
        status=StateStatus.OK,
        holdings=[Holding(symbol="PUMP", amount_raw=10**30, decimals=18, amount=Decimal(10**12),
                          price_usd=Decimal("0.5"), value_usd=Decimal(5 * 10**11))],
        treasury_value_usd=Decimal(3_000_000),
        pstr_price=Decimal("0.78"),
        pstr_market_cap_usd=Decimal(1_000_000),
        reserve_ratio=Decimal(3),
        daily_budget_usd=Decimal(2465),
        intervention_capacity_usd=Decimal(100_000),
        vwap_30d=Decimal(1),
        drawdown=Decimal("0.22"),
        tier=2,
        deployment_share=Decimal("0.25"),
        safety_mode=SafetyMode.NORMAL,
        pump_concentration=Decimal("0.5"),
        pump_concentration_limit=Decimal("0.8"),
        inputs=[InputStatus(symbol="PSTR", status=ConsensusStatus.OK)],
    )


def pct(samples: list[float]) -> str:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {qs[49] * 1e3:7.3f} ms   p99 {qs[98] * 1e3:7.3f} ms   (n={len(samples)})"


def bench_pure() -> None:
    now = datetime.now(UTC)
    s, policy, history = state(now), Policy(), History(None, 0)
    samples: list[float] = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        evaluate(s, policy, history, now=now, paused=False, mode=ExecutionMode.DRY_RUN)
        samples.append(time.perf_counter() - t)
    print(f"rules.evaluate (pure)                     {pct(samples)}")


async def bench_service(nats_url: str) -> None:
    db = f"bench_intervention_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{db}"')
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{db}"
    prefix = f"bench{secrets.token_hex(3)}"
    settings = InterventionSettings(
        database_url=dsn,  # type: ignore[arg-type]
        nats_url=nats_url, bus_prefix=prefix, http_port=0, log_level="WARNING",
        executor_enabled=False, heartbeat_interval_seconds=3600,
    )
    app = InterventionApp(settings)
    await app.service.start()
    inside: list[float] = []
    original = app.decider.on_state

    async def timed_on_state(s: TreasuryState) -> Any:
        t = time.perf_counter()
        result = await original(s)
        inside.append(time.perf_counter() - t)
        return result

    app.decider.on_state = timed_on_state  # type: ignore[method-assign]
    ns = Namespace(prefix)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    received: asyncio.Queue[InterventionDecision] = asyncio.Queue()

    async def on_decided(msg: Any) -> None:
        await received.put(InterventionDecision.model_validate_json(msg.data))

    await nc.subscribe(ns.subject(subjects.INTERVENTION_DECIDED), cb=on_decided)
    end_to_end: list[float] = []
    actions: dict[str, int] = {}
    try:
        for seq in range(STATES + 20):
            payload = state(datetime.now(UTC), seq).model_dump_json().encode()
            t = time.perf_counter()
            await js.publish(ns.subject(subjects.TREASURY_STATE), payload)
            decision = await asyncio.wait_for(received.get(), timeout=10)
            if seq >= 20:  # warm-up: connections, prepared statements, consumer start
                end_to_end.append(time.perf_counter() - t)
                actions[decision.action.value] = actions.get(decision.action.value, 0) + 1
    finally:
        await nc.close()
        await app.service.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()
    print(f"handler: state received -> decided published {pct(inside[20:])}")
    print(f"end to end: state published -> decided received {pct(end_to_end)}")
    print(f"decisions: {actions}")


def main() -> None:
    print(f"== intervention decision latency ({os.cpu_count()} cores)")
    bench_pure()
    with tempfile.TemporaryDirectory() as tmp, nats_url_or_private(Path(tmp)) as url:
        asyncio.run(bench_service(url))


if __name__ == "__main__":
    main()
