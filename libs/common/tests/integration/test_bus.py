"""The common bus path against a real NATS with JetStream: dead letters, dedup, streams."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import nats
import pytest
from prometheus_client import CollectorRegistry

from ballast.common.bus import Bus, BusConfig, Delivery, ensure_streams
from ballast.common.messages import ConsensusPrice, DeadLetter
from ballast.common.subjects import Namespace, prices_consensus
from ballast.testing.messages import consensus
from ballast.testing.waiting import eventually

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def make_bus(url: str, prefix: str, registry: CollectorRegistry, **config: Any) -> Bus:
    return Bus(
        BusConfig(service="test", nats_url=url, namespace=Namespace(prefix), **config),
        registry=registry,
    )


@pytest.fixture
async def raw_nats(nats_server: Any) -> AsyncIterator[nats.NATS]:
    nc = await nats.connect(nats_server.url)
    yield nc
    await nc.drain()


async def collect_dead_letters(nc: nats.NATS, ns: Namespace) -> list[DeadLetter]:
    letters: list[DeadLetter] = []

    async def on_letter(msg: Any) -> None:
        letters.append(DeadLetter.model_validate_json(msg.data))

    await nc.subscribe(ns.subject("deadletter.>"), cb=on_letter)
    return letters


async def test_bus__malformed_payload__dead_lettered_counted_and_next_message_handled(
    nats_server: Any, bus_namespace: str, raw_nats: nats.NATS
) -> None:
    registry = CollectorRegistry()
    bus = make_bus(nats_server.url, bus_namespace, registry)
    handled: list[ConsensusPrice] = []

    @bus.subscriber("prices.consensus.*", durable="dl-test")
    async def on_consensus(price: ConsensusPrice) -> None:
        handled.append(price)

    letters = await collect_dead_letters(raw_nats, bus.ns)
    await bus.start()
    try:
        js = raw_nats.jetstream()
        malformed = json.dumps({"symbol": "PSTR", "price": 1.5, "status": "OK"}).encode()
        await js.publish(bus.ns.subject(prices_consensus("PSTR")), malformed)
        await bus.publish(
            consensus(price="1.25", sequence=1, computed_at=NOW),
            prices_consensus("PSTR"),
            msg_id="c-1",
        )
        await eventually(lambda: handled and letters)
    finally:
        await bus.stop()

    assert [p.price for p in handled] == [Decimal("1.25")]
    assert len(letters) == 1
    letter = letters[0]
    assert letter.original_subject == "prices.consensus.PSTR"
    assert letter.service == "test"
    assert "never float" in letter.error and "sources" in letter.error
    assert base64.b64decode(letter.payload_b64) == malformed
    count = registry.get_sample_value(
        "ballast_deadletter_total", {"subject": "prices.consensus.PSTR"}
    )
    assert count == 1.0


async def test_bus__handler_keeps_failing__dead_lettered_after_max_deliveries(
    nats_server: Any, bus_namespace: str, raw_nats: nats.NATS
) -> None:
    registry = CollectorRegistry()
    bus = make_bus(
        nats_server.url, bus_namespace, registry, max_deliver=3, redelivery_backoff_seconds=0.05
    )
    attempts: list[int] = []

    @bus.subscriber("prices.consensus.*", durable="poison")
    async def on_consensus(price: ConsensusPrice) -> None:
        attempts.append(price.sequence)
        raise RuntimeError("downstream is broken")

    letters = await collect_dead_letters(raw_nats, bus.ns)
    await bus.start()
    try:
        await bus.publish(
            consensus(price="2", sequence=7, computed_at=NOW),
            prices_consensus("PSTR"),
            msg_id="poison-7",
        )
        await eventually(lambda: letters)
    finally:
        await bus.stop()

    assert attempts == [7, 7, 7]
    assert letters[0].deliveries == 3
    assert "downstream is broken" in letters[0].error


async def test_bus__same_msg_id_twice__stream_keeps_one(
    nats_server: Any, bus_namespace: str, raw_nats: nats.NATS
) -> None:
    bus = make_bus(nats_server.url, bus_namespace, CollectorRegistry())
    await bus.start()
    try:
        for _ in range(3):
            await bus.publish(
                consensus(price="3", sequence=9, computed_at=NOW),
                prices_consensus("PSTR"),
                msg_id="dup-9",
            )
        info = await raw_nats.jetstream().stream_info(bus.ns.stream("PRICES"))
    finally:
        await bus.stop()
    assert info.state.messages == 1


async def test_ensure_streams__run_twice_and_concurrently__idempotent(
    nats_server: Any, bus_namespace: str, raw_nats: nats.NATS
) -> None:
    js = raw_nats.jetstream()
    ns = Namespace(bus_namespace)
    await asyncio.gather(ensure_streams(js, ns), ensure_streams(js, ns))
    await ensure_streams(js, ns)
    info = await js.stream_info(ns.stream("STATE"))
    assert info.config.subjects == [
        ns.subject(s)
        for s in (
            "treasury.state",
            "health.score",
            "risk.report",
            "liquidity.state",
            "performance.report",
        )
    ]
    assert info.config.duplicate_window == 120


async def test_bus__publish_then_handle__one_trace_and_the_delivery_names_the_subject(
    nats_server: Any, bus_namespace: str
) -> None:
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: PLC0415
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: PLC0415
        InMemorySpanExporter,
    )

    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    registry = CollectorRegistry()
    bus = Bus(BusConfig(service="test", nats_url=nats_server.url,
                        namespace=Namespace(bus_namespace)), registry, provider)
    seen: list[tuple[str, str]] = []

    @bus.subscriber("prices.consensus.*", durable="traced")
    async def on_consensus(price: ConsensusPrice, delivery: Delivery) -> None:
        subject = bus.ns.unprefix(delivery.raw_message.subject)
        seen.append((subject, delivery.raw_message.headers["traceparent"]))
        if subject == "prices.consensus.PSTR":  # the next hop continues the trace
            await bus.publish(consensus(price="5", sequence=price.sequence + 1, computed_at=NOW),
                              "prices.consensus.NEXT", msg_id=f"next-{price.sequence}")

    await bus.start()
    try:
        await bus.publish(consensus(price="4", sequence=1, computed_at=NOW),
                          prices_consensus("PSTR"), msg_id="t-1")
        await eventually(lambda: len(seen) == 2)
    finally:
        await bus.stop()

    assert [subject for subject, _ in seen] == ["prices.consensus.PSTR", "prices.consensus.NEXT"]
    finished = spans.get_finished_spans()
    assert len({s.context.trace_id for s in finished}) == 1
    by_name = {s.name: s for s in finished}
    first = by_name[f"{bus.ns.subject('prices.consensus.PSTR')} publish"]
    handled = by_name[f"{bus.ns.subject('prices.consensus.PSTR')} process"]
    assert handled.parent is not None and handled.parent.span_id == first.context.span_id
    assert f"{first.context.span_id:016x}" in seen[0][1]
    labels = {"app_name": "test", "broker": "nats",
              "handler": bus.ns.subject("prices.consensus.PSTR")}
    assert registry.get_sample_value("ballast_bus_received_messages_total", labels) == 1.0
    assert registry.get_sample_value(
        "ballast_bus_received_processed_messages_total", {**labels, "status": "acked"}) == 1.0


async def test_publish_facts__batch__every_fact_delivered_in_order_and_stored(
    nats_server: Any, bus_namespace: str, raw_nats: nats.NATS
) -> None:
    bus = make_bus(nats_server.url, bus_namespace, CollectorRegistry())
    await bus.start()
    got: list[tuple[str, bytes]] = []

    async def on_fact(msg: Any) -> None:
        got.append((msg.subject, msg.data))

    await raw_nats.subscribe(bus.ns.subject("prices.observed.>"), cb=on_fact)
    await raw_nats.flush()
    facts = [(f"prices.observed.{src}.PSTR", json.dumps({"i": i}).encode())
             for i in range(500) for src in ("pyth", "dex")]
    try:
        await bus.publish_facts(facts[:1])
        await bus.publish_facts(iter(facts[1:]))
        await eventually(lambda: len(got) == len(facts))
        info = await raw_nats.jetstream().stream_info(bus.ns.stream("PRICES"))
    finally:
        await bus.stop()
    assert got == [(bus.ns.subject(s), d) for s, d in facts]
    assert info.state.messages == len(facts)


async def test_publish_many__models_and_json__stored_in_order_with_ids_and_a_repeat_dropped(
    nats_server: Any, bus_namespace: str, raw_nats: nats.NATS
) -> None:
    bus = make_bus(nats_server.url, bus_namespace, CollectorRegistry())
    await bus.start()
    models = [consensus(price=str(i + 1), sequence=i, computed_at=NOW) for i in range(300)]
    items: list[tuple[ConsensusPrice | bytes, str, str]] = [
        (m if i % 2 else m.model_dump_json().encode(), prices_consensus("PSTR"), f"many-{i}")
        for i, m in enumerate(models)]
    stream = bus.ns.stream("PRICES")
    try:
        await bus.publish_many(items)
        stored = (await raw_nats.jetstream().stream_info(stream)).state.messages
        await bus.publish_many(items)  # a restart's repeat: every id already in the stream
        again = (await raw_nats.jetstream().stream_info(stream)).state.messages
        got = [await raw_nats.jetstream().get_msg(stream, seq) for seq in range(1, 301)]
    finally:
        await bus.stop()
    assert stored == again == len(items)
    assert got[-1].headers and got[-1].headers.pop("Nats-Expected-Stream") == stream  # acked one
    assert [(g.subject, g.data, dict(g.headers or {})) for g in got] == [
        (bus.ns.subject(prices_consensus("PSTR")), m.model_dump_json().encode(),
         {"Nats-Msg-Id": f"many-{i}", "content-type": "application/json"})
        for i, m in enumerate(models)]
