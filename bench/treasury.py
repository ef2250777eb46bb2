"""Treasury benchmark: state recompute per consensus update, and the 30-day rolling VWAP.

Prints figures, never a verdict (goals from issue #5 are shown beside them):
- state recompute latency per consensus update, p50/p99: build_state + build_health, the same
  plus encoding both messages to JSON, and the whole service path over real NATS and Postgres
  (ConsensusPrice published -> handler -> Postgres snapshot -> treasury.state received), when
  NATS (NATS_URL, default the local 4222) and Postgres are reachable;
- 30-day VWAP cold start from 43,200 minute bars (goal <= 200 ms): in memory from bucket rows,
  and, when Postgres is reachable (BENCH_DATABASE_URL, default the local trust socket), the whole
  restart path: the repository query over 43,200 rows plus the ring restore;
- the VWAP's per-update cost at several window fills (goal: constant time).

    .venv/bin/python bench/treasury.py
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ballast.common.messages import (
    ConsensusPrice,
    ConsensusStatus,
    HealthScore,
    SourceReading,
    TreasuryState,
)
from ballast.strategy.health import build_health
from ballast.strategy.params import StrategyParams
from ballast.treasury.domain.liquidity import PoolReading
from ballast.treasury.domain.state import ChainSnapshot, TokenBalance, build_state
from ballast.treasury.domain.vwap import WINDOW_MINUTES, Bucket, RollingVwap, minute_of, to_units

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5000"))
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DSN = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def percentiles(samples: list[float]) -> str:
    qs = statistics.quantiles(samples, n=100)
    return f"p50 {qs[49] * 1e6:8.1f} µs   p99 {qs[98] * 1e6:8.1f} µs"


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out: list[float] = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def consensus(symbol: str, price: str) -> ConsensusPrice:
    return ConsensusPrice(
        symbol=symbol, price=Decimal(price), status=ConsensusStatus.OK,
        sources=[SourceReading(source=s, price=Decimal(price), used=True)
                 for s in ("pyth", "switchboard", "dex_twap")],
        sources_used=3, computed_at=NOW,
    )


def bench_state() -> None:
    params = StrategyParams()
    chain = ChainSnapshot(
        balances=(
            TokenBalance("PUMP", 2_400_000 * 10**18, 18), TokenBalance("USDC", 600_000 * 10**6, 6),
            TokenBalance("WCORE", 1_000 * 10**18, 18), TokenBalance("CORE", 5 * 10**18, 18),
            TokenBalance("PSTR", 10 * 10**18, 18),
        ),
        pstr_total_supply_raw=1_000_000 * 10**18, pstr_decimals=18, read_at=NOW,
    )
    prices = {s: consensus(s, p) for s, p in
              (("PSTR", "0.85"), ("PUMP", "1.01"), ("USDC", "1"), ("WCORE", "1.2"))}
    vwap = RollingVwap()
    vwap.add(NOW, Decimal(1), Decimal(1))
    age = timedelta(minutes=5)
    rng = random.Random(1)

    def recompute() -> tuple[TreasuryState, HealthScore | None]:
        prices["PSTR"] = consensus("PSTR", f"0.{rng.randint(60, 99)}")
        state = build_state(chain, prices, vwap.value(), params, NOW, age)
        return state, build_health(state, params)

    def recompute_and_encode() -> object:
        state, health = recompute()
        return state.model_dump_json(), health.model_dump_json() if health else None

    timed(recompute, 200)
    print(f"state recompute per consensus update        {percentiles(timed(recompute, ROUNDS))}")
    print(f"  ... plus JSON of state and health         "
          f"{percentiles(timed(recompute_and_encode, ROUNDS))}")


class BenchChain:
    """The devnet's starting treasury, without a chain."""

    async def snapshot(self) -> ChainSnapshot:
        return ChainSnapshot(
            (TokenBalance("PUMP", 45_000_000 * 10**18, 18),
             TokenBalance("USDC", 7_500_000 * 10**6, 6)),
            10_000_000 * 10**18, 18, datetime.now(UTC),
        )

    async def pools(self) -> list[PoolReading]:
        return []


async def bench_service_path(dsn: str) -> None:
    import asyncpg  # noqa: PLC0415 - optional part of the benchmark
    import nats  # noqa: PLC0415

    from ballast.treasury.main import build_app  # noqa: PLC0415
    from ballast.treasury.settings import TreasurySettings  # noqa: PLC0415

    nats_url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
    try:
        nc = await nats.connect(nats_url, connect_timeout=2, max_reconnect_attempts=0)
        admin = await asyncpg.connect(dsn, timeout=3)
    except Exception as err:  # noqa: BLE001 - report and go on
        print(f"service path: skipped ({err!r})")
        return
    name, prefix = f"bench_treasury_e2e_{os.getpid()}", f"bench{os.getpid()}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    settings = TreasurySettings(
        nats_url=nats_url, bus_prefix=prefix,
        database_url=dsn.rsplit("/", 1)[0] + "/" + name,  # type: ignore[arg-type]
        http_port=0, http_host="127.0.0.1", state_debounce_seconds=0, log_level="WARNING",
    )
    service = build_app(settings, chain=BenchChain())
    states: asyncio.Queue[TreasuryState] = asyncio.Queue()

    async def on_state(msg: Any) -> None:
        states.put_nowait(TreasuryState.model_validate_json(msg.data))

    js = nc.jetstream()
    try:
        await service.start()
        await nc.subscribe(f"{prefix}.treasury.state", cb=on_state)

        async def send(symbol: str, price: str) -> None:
            payload = consensus(symbol, price).model_copy(update={"computed_at": datetime.now(UTC)})
            subject = f"{prefix}.prices.consensus.{symbol}"
            await js.publish(subject, payload.model_dump_json().encode())

        await send("PUMP", "0.5")
        await send("USDC", "1")
        samples: list[float] = []
        for i in range(min(ROUNDS, 500)):
            price = Decimal(f"0.{60 + i % 40}{i % 10}")
            t = time.perf_counter()
            await send("PSTR", str(price))
            while (await states.get()).pstr_price != price:
                pass
            samples.append(time.perf_counter() - t)
        print(f"  ... whole service path (NATS + Postgres)  {percentiles(samples[20:])}")
    finally:
        await service.stop()
        for info in await js.streams_info():
            if info.config.name and info.config.name.startswith(prefix.upper() + "_"):
                await js.delete_stream(info.config.name)
        await nc.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def minute_bars(n: int = WINDOW_MINUTES) -> list[Bucket]:
    rng = random.Random(2)
    start = minute_of(NOW) - n + 1
    bars: list[Bucket] = []
    for i in range(n):
        price = Decimal(rng.randint(80, 120)) / 100
        volume = Decimal(rng.randint(1, 10**6)) / 100
        bars.append(Bucket(start + i, to_units(price * volume), to_units(volume)))
    return bars


def bench_vwap_cold_start() -> list[Bucket]:
    bars = minute_bars()
    runs: list[float] = []
    for _ in range(5):
        t = time.perf_counter()
        ring = RollingVwap()
        ring.restore(bars)
        ring.value(NOW)
        runs.append(time.perf_counter() - t)
    print(f"VWAP cold start, {len(bars):,} bars in memory     "
          f"median {statistics.median(runs) * 1e3:7.1f} ms   (goal <= 200 ms)")
    return bars


async def bench_vwap_cold_start_postgres(bars: list[Bucket]) -> None:
    import asyncpg  # noqa: PLC0415 - optional part of the benchmark

    from ballast.treasury.adapters.repository import Repository  # noqa: PLC0415

    dsn = DSN
    try:
        admin = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError) as err:
        print(f"VWAP cold start from Postgres: skipped ({err})")
        return
    name = f"bench_treasury_{os.getpid()}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        pool = await asyncpg.create_pool(dsn.rsplit("/", 1)[0] + "/" + name)
        repo = Repository(pool)
        await repo.migrate()
        await repo.write_buckets("PSTR", bars)
        await pool.execute("ANALYZE treasury_vwap_bars")  # as autovacuum would have by a restart
        runs: list[float] = []
        cpu: list[float] = []
        for _ in range(7):
            t, c = time.perf_counter(), time.process_time()
            ring = RollingVwap()
            ring.restore(await repo.load_buckets("PSTR", minute_of(NOW) - WINDOW_MINUTES))
            ring.value(NOW)
            runs.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        await pool.close()
        print(f"VWAP cold start, {len(bars):,} bars from Postgres "
              f"median {statistics.median(runs) * 1e3:7.1f} ms   (goal <= 200 ms; this process's "
              f"CPU {statistics.median(cpu) * 1e3:.1f} ms, the rest is Postgres and waiting)")
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def vwap_updates(filled: int) -> list[float]:
    rng = random.Random(3)
    ring = RollingVwap()
    ring.restore(minute_bars(filled))
    minute = minute_of(NOW)

    def update() -> object:
        nonlocal minute
        minute += 1  # every update moves the window one minute: evict + add + divide
        price = Decimal(rng.randint(80, 120)) / 100
        ring.add_units(minute, to_units(price * 10), to_units(Decimal(10)))
        return ring.value()

    return timed(update, ROUNDS)


def bench_vwap_update() -> None:
    for filled in (1_000, 10_000, WINDOW_MINUTES):
        samples = vwap_updates(filled)
        print(f"VWAP update, window holding {filled:>6,} bars  {percentiles(samples)}")


def main() -> None:
    bench_state()
    logging.disable(logging.ERROR)  # FastStream's supervisor chatter at start and stop
    try:
        asyncio.run(bench_service_path(DSN))
    finally:
        logging.disable(logging.NOTSET)
    bars = bench_vwap_cold_start()
    asyncio.run(bench_vwap_cold_start_postgres(bars))
    bench_vwap_update()


if __name__ == "__main__":
    main()
