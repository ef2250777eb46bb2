"""Declaring a subscriber: what the bus reads from the handler, before anything connects."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from ballast.common.bus import Bus, BusConfig, Received
from ballast.common.messages import ConsensusPrice
from ballast.common.subjects import Namespace

pytestmark = pytest.mark.unit


def offline_bus() -> Bus:
    return Bus(
        BusConfig(service="t", nats_url="nats://127.0.0.1:1", namespace=Namespace("ns")),
        CollectorRegistry(),
    )


def test_subscriber__typed_handler__declared_with_namespaced_names_and_its_model() -> None:
    bus = offline_bus()

    @bus.subscriber("prices.consensus.*", "d1", batch_size=8)
    async def one(price: ConsensusPrice) -> None: ...

    @bus.subscriber("prices.consensus.*", "d2", push=True)
    async def two(price: ConsensusPrice, msg: Received) -> None: ...

    first, second = bus.subscriptions
    assert (first.subject, first.stream, first.durable) == (
        "ns.prices.consensus.*",
        "NS_PRICES",
        "ns_d1",
    )
    assert first.model is ConsensusPrice and not first.with_message and not first.push
    assert first.config.max_ack_pending is None and first.batch_size == 8
    assert second.with_message and second.push and second.config.max_ack_pending == 16
    assert first.handler is one and second.handler is two


def test_subscriber__handler_without_a_message_model__refused() -> None:
    bus = offline_bus()

    async def untyped(price: Any) -> None: ...

    def blocking(price: ConsensusPrice) -> None: ...

    with pytest.raises(TypeError, match="annotate the first parameter"):
        bus.subscriber("prices.consensus.*", "d")(untyped)
    with pytest.raises(TypeError, match="async function"):
        bus.subscriber("prices.consensus.*", "d")(blocking)  # type: ignore[arg-type]
    assert bus.subscriptions == []
