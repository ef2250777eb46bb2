"""Bus benchmark: a typed message through the common bus path next to raw nats-py.

Both paths use the same JetStream stream semantics and delivery guarantees: publish awaiting the
stream ack with a `Nats-Msg-Id` (dedup) and a W3C `traceparent` header, a durable pull consumer
fetching 256 at a time, explicit ack; and the same payload bytes (a ConsensusPrice with three
sources), made before the clock starts on both sides: the raw path's bytes, the common path's
models (which the bus serialises on the clock). The common path adds what every service gets:
pydantic encode/validate, a recording OpenTelemetry span per publish and per handled message (a
service's tracer provider, without an exporter), the Prometheus families, the dead-letter guard.

Prints messages/s (N messages published with a window of concurrent publishes, until the last
one is handled) and per CPU second of this process (steadier on a shared machine: the NATS
server's CPU is not in it), the common path's share of the raw rate, and publish->handled
latency p50/p99 at a fixed rate. Figures, not a verdict.

    .venv/bin/python bench/bus.py            # NATS_URL, else a private nats-server
    BENCH_MESSAGES=20000 .venv/bin/python bench/bus.py
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import nats
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig
from prometheus_client import CollectorRegistry

from ballast.common.bus import MSG_ID_HEADER, Bus, BusConfig, ensure_streams
from ballast.common.messages import ConsensusPrice, ConsensusStatus, SourceReading
from ballast.common.observability import build_tracer_provider
from ballast.common.subjects import Namespace, prices_consensus
from ballast.devstack.nats import nats_url_or_private
from ballast.testing.natsserver import delete_namespace

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "5000"))
WINDOW = 256
RATE = int(os.environ.get("BENCH_RATE", "500"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
"""The raw path's trace header: the same bytes a traced publish carries."""


def payload(seq: int) -> ConsensusPrice:
    now = datetime.now(UTC)
    return ConsensusPrice(
        symbol="PSTR",
        price=Decimal("1.2345"),
        confidence=Decimal("0.0012"),
        status=ConsensusStatus.OK,
        sources=[
            SourceReading(source=s, price=Decimal("1.2345"), published_at=now, used=True,
                          deviation=Decimal("0.001"))
            for s in ("pyth", "switchboard", "chainlink")
        ],
        sources_used=3,
        max_deviation=Decimal("0.001"),
        computed_at=now,
        sequence=seq,
    )


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0


async def run_windowed(count: int, publish: Callable[[int], Awaitable[object]]) -> None:
    for start in range(0, count, WINDOW):
        await asyncio.gather(*(publish(i) for i in range(start, min(start + WINDOW, count))))


async def paced(publish: Callable[[int], Awaitable[None]]) -> int:
    total = int(RATE * SECONDS)
    start = time.perf_counter()
    for i in range(total):
        delay = start + i / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await publish(i)
    return total


async def bench_common(url: str) -> tuple[float, float, list[float]]:
    ns = Namespace("bench" + uuid.uuid4().hex[:6])
    bus = Bus(BusConfig(service="bench", nats_url=url, namespace=ns), CollectorRegistry(),
              build_tracer_provider("bench", None))
    sent: dict[int, float] = {}
    latencies: list[float] = []
    received = 0
    done = asyncio.Event()
    target = MESSAGES

    @bus.subscriber("prices.consensus.*", durable="bench", batch_size=256)
    async def handle(price: ConsensusPrice) -> None:
        nonlocal received
        received += 1
        if price.sequence in sent:
            latencies.append(time.perf_counter() - sent.pop(price.sequence))
        if received >= target:
            done.set()

    models = [payload(i) for i in range(MESSAGES)]  # as the raw path's bytes, before the clock
    await bus.start()
    try:
        t0, cpu0 = time.perf_counter(), time.process_time()
        await run_windowed(MESSAGES, lambda i: bus.publish(
            models[i], prices_consensus("PSTR"), msg_id=f"bench-{i}"))
        await asyncio.wait_for(done.wait(), 120)
        rate = MESSAGES / (time.perf_counter() - t0)
        per_cpu = MESSAGES / (time.process_time() - cpu0)

        received, latencies[:] = 0, []
        done.clear()

        async def timed(i: int) -> None:
            seq = 10_000_000 + i
            model = payload(seq)
            sent[seq] = time.perf_counter()
            await bus.publish(model, prices_consensus("PSTR"), msg_id=f"bench-{seq}")

        target = int(RATE * SECONDS)
        await paced(timed)
        await asyncio.wait_for(done.wait(), 60)
    finally:
        await bus.stop()
        await delete_namespace(url, ns.prefix)
    return rate, per_cpu, latencies


async def bench_raw(url: str) -> tuple[float, float, list[float]]:
    ns = Namespace("benchraw" + uuid.uuid4().hex[:6])
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_streams(js, ns)
    subject = ns.subject(prices_consensus("PSTR"))
    sub = await js.pull_subscribe(
        subject, durable="raw", config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT)
    )
    bodies = {i: payload(i).model_dump_json().encode() for i in range(MESSAGES)}
    sent: dict[bytes, float] = {}
    latencies: list[float] = []

    async def consume(count: int) -> None:
        got = 0
        while got < count:
            try:
                batch = await sub.fetch(256, timeout=1)
            except NatsTimeoutError:
                continue
            for msg in batch:
                key = msg.headers.get("seq") if msg.headers else None
                if key is not None:
                    latencies.append(time.perf_counter() - sent.pop(key.encode()))
                await msg.ack()
                got += 1

    try:
        consumer = asyncio.create_task(consume(MESSAGES))
        t0, cpu0 = time.perf_counter(), time.process_time()
        await run_windowed(MESSAGES, lambda i: js.publish(subject, bodies[i], headers={
            MSG_ID_HEADER: f"raw-{i}", "traceparent": TRACEPARENT}))
        await asyncio.wait_for(consumer, 120)
        rate = MESSAGES / (time.perf_counter() - t0)
        per_cpu = MESSAGES / (time.process_time() - cpu0)

        body = bodies[0]

        async def timed(i: int) -> None:
            key = str(i)
            sent[key.encode()] = time.perf_counter()
            await js.publish(subject, body, headers={
                "seq": key, MSG_ID_HEADER: f"raw-t{i}", "traceparent": TRACEPARENT})

        consumer = asyncio.create_task(consume(int(RATE * SECONDS)))
        await paced(timed)
        await asyncio.wait_for(consumer, 60)
    finally:
        await nc.drain()
        await delete_namespace(url, ns.prefix)
    return rate, per_cpu, latencies


def report(name: str, rates: tuple[float, float], latencies: list[float]) -> None:
    rate, per_cpu = rates
    ms = [x * 1000 for x in latencies]
    print(
        f"{name:<34} {rate:>10,.0f} msg/s ({per_cpu:,.0f} per CPU second)   latency @ {RATE}/s: "
        f"p50 {percentile(ms, 50):6.2f} ms  p99 {percentile(ms, 99):6.2f} ms  (n={len(ms)})"
    )


async def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-nats-"))
    try:
        with nats_url_or_private(workdir) as url:
            size = len(payload(0).model_dump_json())
            print(f"bus benchmark: {MESSAGES} messages of {size} bytes, window {WINDOW}, "
                  f"NATS at {url}")
            raw, raw_cpu, raw_latencies = await bench_raw(url)
            report("raw nats-py (JetStream, no model)", (raw, raw_cpu), raw_latencies)
            typed, typed_cpu, typed_latencies = await bench_common(url)
            report("common bus (typed, traced)", (typed, typed_cpu), typed_latencies)
            print(f"common bus / raw nats-py: {typed / raw:.0%} of the raw rate "
                  f"(issue 23 goal: at least 50%), {typed_cpu / raw_cpu:.0%} per CPU second")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
