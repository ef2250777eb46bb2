"""The typed consumer's acks against a real NATS: one per message, as soon as its handler returns
(a slow handler in the batch holds back only its own), counted once a batch."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import nats
from prometheus_client import CollectorRegistry

from ballast.common.bus import Bus, BusConfig, ensure_streams
from ballast.common.messages import ConsensusPrice
from ballast.common.subjects import Namespace, prices_consensus
from ballast.testing.messages import consensus
from ballast.testing.waiting import eventually

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def test_batch__one_handler_slow__the_others_acked_before_it_returns(
    nats_server: Any, bus_namespace: str
) -> None:
    registry = CollectorRegistry()
    bus = Bus(BusConfig(service="test", nats_url=nats_server.url,
                        namespace=Namespace(bus_namespace)), registry=registry)
    release = asyncio.Event()
    handled: list[int] = []

    @bus.subscriber("prices.consensus.*", durable="acks", batch_size=16)
    async def on_consensus(price: ConsensusPrice) -> None:
        if price.sequence == 1:
            await release.wait()
        handled.append(price.sequence)

    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    try:
        await ensure_streams(js, bus.ns)
        for n in (1, 2, 3):  # stored before the consumer starts: one fetched batch
            await js.publish(bus.ns.subject(prices_consensus("PSTR")),
                             consensus(price="1", sequence=n, computed_at=NOW)
                             .model_dump_json().encode())
        await bus.start()
        await eventually(lambda: sorted(handled) == [2, 3])
        await ack_pending_becomes(1, js, bus)  # the slow one's only

        release.set()
        await eventually(lambda: handled == [2, 3, 1])
        await ack_pending_becomes(0, js, bus)
    finally:
        release.set()
        await bus.stop()
        await nc.drain()

    labels = {"app_name": "test", "broker": "nats", "handler": bus.ns.subject(
        prices_consensus("PSTR"))}
    assert registry.get_sample_value(
        "ballast_bus_received_messages_total", labels) == 3.0
    assert registry.get_sample_value(
        "ballast_bus_received_messages_in_process", labels) == 0.0
    assert registry.get_sample_value(
        "ballast_bus_received_processed_messages_total", {**labels, "status": "acked"}) == 3.0


async def ack_pending_becomes(count: int, js: Any, bus: Bus) -> None:
    """Wait until the durable's unacked messages are `count` (TimeoutError after 10 s)."""
    async with asyncio.timeout(10):
        while True:
            info = await js.consumer_info(bus.ns.stream("PRICES"), bus.ns.durable("acks"))
            if info.num_ack_pending == count:
                return
            await asyncio.sleep(0.02)
