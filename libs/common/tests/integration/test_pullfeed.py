"""PullFeed's fetch against a real NATS: what nats-py's fetch returned, messages as they come."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from nats.errors import TimeoutError as NatsTimeoutError

from ballast.common.pullfeed import PullFeed
from ballast.common.subjects import Namespace
from ballast.common.transport import ensure_streams


@pytest.fixture
async def feed(nats_server: Any, bus_namespace: str) -> AsyncIterator[tuple[Any, str, PullFeed]]:
    nc = await nats.connect(nats_server.url)
    ns = Namespace(bus_namespace)
    js = nc.jetstream()
    await ensure_streams(js, ns)
    subject = ns.subject("prices.consensus.PSTR")
    pull = await js.pull_subscribe(subject, durable="feed", stream=ns.stream("PRICES"))
    feed = PullFeed(pull)
    yield js, subject, feed
    feed.close()
    await nc.drain()


async def test_fetch__more_stored_than_the_batch__a_batch_then_the_rest_in_order(
    feed: tuple[Any, str, PullFeed]
) -> None:
    js, subject, pull = feed
    for n in range(5):
        await js.publish(subject, b"%d" % n, headers={"Nats-Msg-Id": f"m-{n}", "k": "v: w"})

    first = await pull.fetch(3, seconds=2.0)
    rest = await pull.fetch(3, seconds=2.0)

    assert [m.data for m in first + rest] == [b"0", b"1", b"2", b"3", b"4"]
    assert first[0].subject == subject
    assert first[0].headers == {"Nats-Msg-Id": "m-0", "k": "v: w"}
    assert first[0].metadata.num_delivered == 1  # nats-py's Msg: ack subject, metadata
    await first[0].ack()


async def test_fetch__nothing_stored__nats_timeout_after_the_seconds(
    feed: tuple[Any, str, PullFeed]
) -> None:
    _, _, pull = feed
    started = time.monotonic()
    with pytest.raises(NatsTimeoutError):
        await pull.fetch(16, seconds=0.3)
    assert 0.25 < time.monotonic() - started < 2.0


async def test_fetch__waiting_when_one_is_published__returns_it_without_waiting_for_a_batch(
    feed: tuple[Any, str, PullFeed]
) -> None:
    js, subject, pull = feed
    fetching = asyncio.create_task(pull.fetch(256, seconds=5.0))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await js.publish(subject, b"lone")

    got = await fetching

    assert [m.data for m in got] == [b"lone"]
    assert time.monotonic() - started < 1.0
