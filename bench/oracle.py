"""Oracle benchmark: readings through the consensus path, next to raw nats-py.

What is measured (figures, never a verdict; issue #4 goal: >= 20,000 readings/s per instance,
p99 <= 5 ms reading -> consensus at 1,000 readings/s):

1. throughput: N PriceObservations handed to the running oracle's engine (as its adapters do),
   three sources on one symbol. Timed until the consensus reflecting the last reading reaches a
   subscriber; every reading is also published on `prices.observed.*` and COPYed to Postgres
   (the flush to Postgres is reported separately).
2. latency: one source, min_sources 1, readings paced at RATE/s, each with a higher price than
   the last, so a raw subscriber can tell which reading a consensus reflects: reading handed in
   -> the first consensus received that reflects it or a later reading (when two readings land
   in one engine cycle, one consensus covers both).
3. raw nats-py in the same run with the same payload bytes (a PriceObservation): core publish ->
   subscribe throughput, and latency at the same rate, core and JetStream (publish awaiting ack).

    .venv/bin/python bench/oracle.py        # NATS_URL else a private nats-server;
                                            # DATABASE_URL else postgres@127.0.0.1:5432
    BENCH_READINGS=200000 BENCH_RATE=1000 BENCH_SECONDS=5 .venv/bin/python bench/oracle.py
"""

from __future__ import annotations

import asyncio
import bisect
import gc
import logging
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import nats

from ballast.common.bus import ensure_streams
from ballast.common.messages import ConsensusPrice, PriceObservation
from ballast.common.subjects import Namespace, prices_observed
from ballast.devstack.nats import nats_url_or_private
from ballast.oracle.main import OracleApp, build_app
from ballast.oracle.settings import OracleSettings
from ballast.testing.natsserver import delete_namespace

READINGS = int(os.environ.get("BENCH_READINGS", "100000"))
RATE = int(os.environ.get("BENCH_RATE", "1000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
YIELD_EVERY = 256  # readings handed in between two event-loop turns (an adapter burst)
FEED = "0x" + "ab" * 32
T0 = datetime(2026, 11, 22, tzinfo=UTC)


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0


def reading(source: str, symbol: str, i: int) -> PriceObservation:
    published = T0 + timedelta(milliseconds=i)
    return PriceObservation(
        source=source, symbol=symbol, price=Decimal(2_500_000 + i % 1000).scaleb(-6),
        confidence=Decimal("0.001"), published_at=published, observed_at=published,
        feed_id=FEED,
    )


async def create_database(admin: str) -> tuple[str, str]:
    name = "bench_oracle_" + uuid.uuid4().hex[:8]
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, admin.rsplit("/", 1)[0] + "/" + name


async def drop_database(admin: str, name: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def oracle_settings(url: str, prefix: str, db: str) -> OracleSettings:
    wide: dict[str, Any] = {"max_age_seconds": 1e9, "max_conf_ratio": None}
    values: dict[str, Any] = dict(
        nats_url=url, bus_prefix=prefix, database_url=db, http_port=0, http_host="127.0.0.1",
        log_level="WARNING", evaluate_seconds=1.0, consensus_heartbeat_seconds=60,
        consensus_min_change=0,  # every move published: the readings here move < 1 bp
        db_flush_seconds=0.25,
        symbols={
            "PSTR": {"min_sources": 2, "jump_threshold": "0.5", "sources": [
                {"kind": "switchboard_crossbar", "name": n, "feed_hash": FEED, **wide}
                for n in ("pyth", "switchboard", "dex_twap")]},
            "LAT": {"min_sources": 1, "jump_threshold": "0.5", "sources": [
                {"kind": "switchboard_crossbar", "name": "pyth", "feed_hash": FEED, **wide}]},
        },
    )
    return OracleSettings(**values)


async def paced(count: int, send: Callable[[int], Awaitable[None] | None]) -> None:
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        result = send(i)
        if result is not None:
            await result


async def bench_oracle(url: str, admin_db: str) -> dict[str, Any]:
    prefix = "bo" + uuid.uuid4().hex[:6]
    name, db = await create_database(admin_db)
    app: OracleApp = build_app(oracle_settings(url, prefix, db), run_feeds=False)
    nc = await nats.connect(url)
    got: dict[str, Any] = {"last": None}
    seen_prices: list[Decimal] = []
    seen_times: list[float] = []

    async def on_consensus(msg: Any) -> None:
        price = ConsensusPrice.model_validate_json(msg.data)
        now = time.perf_counter()
        if price.symbol == "PSTR":
            got["last"] = price
        elif price.price is not None:
            seen_prices.append(price.price)
            seen_times.append(now)

    await nc.subscribe(Namespace(prefix).subject("prices.consensus.*"), cb=on_consensus)
    await app.start()
    logging.getLogger().setLevel(logging.WARNING)
    results: dict[str, Any] = {}
    try:
        sources = ("pyth", "switchboard", "dex_twap")
        batch = [reading(sources[i % 3], "PSTR", i) for i in range(READINGS)]
        last_price = batch[-1].price
        engine = app.core
        t0, cpu0 = time.perf_counter(), time.process_time()
        for i, obs in enumerate(batch):
            engine.observe(obs)
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
        while not (got["last"] is not None and any(
                s.price == last_price and s.source == batch[-1].source
                for s in got["last"].sources)):
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - t0
        results["throughput"] = READINGS / elapsed
        results["cpu_rate"] = READINGS / (time.process_time() - cpu0)
        history = app.history
        while history.pending:
            await asyncio.sleep(0.01)
        results["with_postgres"] = READINGS / (time.perf_counter() - t0)

        del batch  # 100k models kept alive would make every GC pass of phase 2 slower
        gc.collect()
        sent: dict[Decimal, float] = {}
        total = int(RATE * SECONDS)

        def send(i: int) -> None:
            obs = PriceObservation(
                source="pyth", symbol="LAT", price=Decimal(1_000_000 + i).scaleb(-6),
                published_at=T0 + timedelta(milliseconds=i), observed_at=T0, feed_id=FEED)
            sent[obs.price] = time.perf_counter()
            engine.observe(obs)

        await paced(total, send)
        await asyncio.sleep(0.5)
        latencies: list[float] = []
        for price, t in sent.items():
            k = bisect.bisect_left(seen_prices, price)
            if k < len(seen_prices):
                latencies.append((seen_times[k] - t) * 1000)
        results["latency"] = latencies
        results["latency_n"] = (len(latencies), total)
        async with asyncpg.create_pool(db, min_size=1, max_size=1) as pool:
            results["rows"] = await pool.fetchval("SELECT count(*) FROM oracle_observations")
    finally:
        await app.stop()
        await nc.drain()
        await delete_namespace(url, prefix)
        await drop_database(admin_db, name)
    return results


async def bench_raw(url: str) -> dict[str, Any]:
    ns = Namespace("br" + uuid.uuid4().hex[:6])
    body = reading("pyth", "PSTR", 0).model_dump_json().encode()
    subject = ns.subject(prices_observed("pyth", "PSTR"))
    pub, sub = await nats.connect(url), await nats.connect(url)
    results: dict[str, Any] = {}
    received = 0
    done = asyncio.Event()
    stamps: dict[bytes, float] = {}
    latencies: list[float] = []

    async def on_msg(msg: Any) -> None:
        nonlocal received
        received += 1
        key = msg.headers.get("seq") if msg.headers else None
        if key is not None:
            latencies.append((time.perf_counter() - stamps.pop(key.encode())) * 1000)
        if received >= target:
            done.set()

    await sub.subscribe(subject, cb=on_msg)
    await sub.flush()
    target = READINGS
    t0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(READINGS):
        await pub.publish(subject, body)
        if i % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)
    await pub.flush()
    await asyncio.wait_for(done.wait(), 120)
    results["throughput"] = READINGS / (time.perf_counter() - t0)
    results["cpu_rate"] = READINGS / (time.process_time() - cpu0)

    async def core(i: int) -> None:
        key = str(i)
        stamps[key.encode()] = time.perf_counter()
        await pub.publish(subject, body, headers={"seq": key})
        await pub.flush()

    received, target = 0, int(RATE * SECONDS)
    done.clear()
    await paced(target, core)
    await asyncio.wait_for(done.wait(), 60)
    results["core_latency"] = list(latencies)

    js = pub.jetstream()
    await ensure_streams(js, ns)
    latencies.clear()

    async def jet(i: int) -> None:
        key = f"j{i}"
        stamps[key.encode()] = time.perf_counter()
        await js.publish(subject, body, headers={"seq": key})

    received = 0
    done.clear()
    await paced(target, jet)
    await asyncio.wait_for(done.wait(), 60)
    results["js_latency"] = list(latencies)
    await pub.drain()
    await sub.drain()
    await delete_namespace(url, ns.prefix)
    return results


def line(name: str, rate: float | None, latencies: list[float] | None) -> None:
    rate_text = f"{rate:>10,.0f} readings/s" if rate is not None else " " * 21
    lat = ""
    if latencies:
        lat = (f"   latency @ {RATE}/s: p50 {percentile(latencies, 50):6.2f} ms  "
               f"p99 {percentile(latencies, 99):6.2f} ms  (n={len(latencies)})")
    print(f"{name:<46} {rate_text}{lat}")


async def main() -> None:
    admin_db = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    workdir = Path(tempfile.mkdtemp(prefix="bench-nats-"))
    try:
        with nats_url_or_private(workdir) as url:
            size = len(reading("pyth", "PSTR", 0).model_dump_json())
            print(f"oracle benchmark: {READINGS} readings of {size} bytes, NATS at {url}")
            raw = await bench_raw(url)
            oracle = await bench_oracle(url, admin_db)
            line("raw nats-py core publish -> subscribe", raw["throughput"], raw["core_latency"])
            line("raw nats-py JetStream publish(ack) -> subscribe", None, raw["js_latency"])
            line("oracle: reading -> consensus on the bus", oracle["throughput"],
                 oracle["latency"])
            line("oracle: ... and every reading in Postgres", oracle["with_postgres"], None)
            n, total = oracle["latency_n"]
            print(f"(latency: {n} of {total} paced readings reached a consensus; "
                  f"{oracle['rows']} observation rows written)")
            print(f"per CPU second of this process (less sensitive to a loaded machine): "
                  f"raw nats-py {raw['cpu_rate']:,.0f} readings/s, oracle "
                  f"{oracle['cpu_rate']:,.0f} readings/s "
                  f"({oracle['cpu_rate'] / raw['cpu_rate']:.0%}); wall-clock ratio "
                  f"{oracle['throughput'] / raw['throughput']:.0%}; load average "
                  f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
