"""Hermes (REST + SSE) and Crossbar adapters against local servers speaking the real formats."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from ballast.common.messages import PriceObservation
from ballast.oracle.adapters.base import SourceError
from ballast.oracle.adapters.crossbar import CrossbarFeed
from ballast.oracle.adapters.hermes import HermesClient, HermesFeed
from ballast.oracle.adapters.runner import run_polled, run_streamed
from ballast.oracle.metrics import OracleMetrics

BTC = "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43"
SB = "4cd1cad962425681af07b9254b7d804de3ca3446fbfd1371bb258d2c75059812"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def hermes(fake: Any, session: aiohttp.ClientSession, **kw: Any) -> HermesFeed:
    client = HermesClient(fake.url, session, timeout=0.3, backoff_base=0.01, backoff_cap=0.05,
                          **kw)
    return HermesFeed(client, "0x" + BTC.upper(), "BTC")


class Sink:
    def __init__(self) -> None:
        self.seen: list[PriceObservation] = []
        self.down: list[str] = []

    def observe(self, observation: PriceObservation) -> None:
        self.seen.append(observation)

    def source_down(self, source: str, symbol: str, reason: str) -> None:
        self.down.append(reason)


async def until(predicate: Any, within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_hermes_feed__rest_real_payload__exact_decimal_and_bearer_key(
    fake_sources: Any, session: aiohttp.ClientSession
) -> None:
    fake_sources.api_key = "k3y"
    obs = await hermes(fake_sources, session, api_key="k3y").read()
    assert obs.price == Decimal("61409.93501000")
    assert obs.confidence == Decimal("32.87868567")
    assert int(obs.published_at.timestamp()) == 1714746101
    assert (obs.source, obs.symbol, obs.feed_id) == ("pyth", "BTC", BTC)
    assert fake_sources.auth_seen == ["Bearer k3y"]


@pytest.mark.parametrize(("mode", "kind"), [("500", "http"), ("garbage", "malformed"),
                                            ("malformed", "malformed"), ("slow", "timeout")])
async def test_hermes_feed__bad_server__source_error_of_kind(
    fake_sources: Any, session: aiohttp.ClientSession, mode: str, kind: str
) -> None:
    fake_sources.mode = mode
    with pytest.raises(SourceError) as err:
        await hermes(fake_sources, session).read()
    assert err.value.kind == kind


async def test_hermes_stream__server_closes__reconnects_and_keeps_streaming(
    fake_sources: Any, session: aiohttp.ClientSession
) -> None:
    feed, errors = hermes(fake_sources, session), list[SourceError]()
    got: list[PriceObservation] = []
    async with asyncio.timeout(5):
        async for obs in feed.stream(errors.append):
            got.append(obs)
            if len(got) == 7:
                break
    assert fake_sources.stream_connections >= 3
    assert [o.published_at.timestamp() for o in got] == [1714746102 + i for i in range(7)]
    assert got[1].price - got[0].price == Decimal("0.000001")
    assert errors == []


async def test_hermes_stream__unavailable_then_up__errors_reported_then_streams(
    fake_sources: Any, session: aiohttp.ClientSession
) -> None:
    fake_sources.stream_fail_first = 2
    feed, errors = hermes(fake_sources, session), list[SourceError]()
    async with asyncio.timeout(5):
        async for _ in feed.stream(errors.append):
            break
    assert [e.kind for e in errors] == ["http", "http"]


async def test_run_streamed__malformed_events__marked_down_never_raises(
    fake_sources: Any, session: aiohttp.ClientSession
) -> None:
    fake_sources.mode = "malformed"
    sink, registry = Sink(), CollectorRegistry()
    task = asyncio.create_task(run_streamed(hermes(fake_sources, session), sink,
                                            OracleMetrics(registry)))
    await until(lambda: len(sink.down) >= 3)
    fake_sources.mode = "ok"
    await until(lambda: len(sink.seen) >= 1)
    task.cancel()
    errors = registry.get_sample_value(
        "ballast_oracle_source_errors_total",
        {"source": "pyth", "symbol": "BTC", "kind": "malformed"})
    assert errors is not None and errors >= 3
    assert registry.get_sample_value("ballast_oracle_source_up",
                                     {"source": "pyth", "symbol": "BTC"}) == 1


async def test_crossbar_feed__real_payload__median_and_half_spread(
    fake_sources: Any, session: aiohttp.ClientSession
) -> None:
    obs = await CrossbarFeed(fake_sources.url, session, "0x" + SB, "BTC").read()
    assert obs.price == Decimal("61405.0") and obs.confidence == Decimal("5.0")
    assert obs.source == "switchboard" and obs.feed_id == "0x" + SB


@pytest.mark.parametrize(("mode", "kind"), [("429", "http"), ("garbage", "malformed")])
async def test_crossbar_feed__bad_server__source_error_of_kind(
    fake_sources: Any, session: aiohttp.ClientSession, mode: str, kind: str
) -> None:
    fake_sources.mode = mode
    with pytest.raises(SourceError) as err:
        await CrossbarFeed(fake_sources.url, session, SB, "BTC").read()
    assert err.value.kind == kind


async def test_run_polled__failing_then_healthy__down_counted_then_observed(
    fake_sources: Any, session: aiohttp.ClientSession
) -> None:
    fake_sources.mode = "500"
    sink, registry = Sink(), CollectorRegistry()
    feed = CrossbarFeed(fake_sources.url, session, SB, "BTC")
    task = asyncio.create_task(run_polled(feed, sink, OracleMetrics(registry), 0.01,
                                          backoff_base=0.01, backoff_cap=0.02))
    await until(lambda: len(sink.down) >= 2)
    fake_sources.mode = "ok"
    await until(lambda: len(sink.seen) >= 1)
    task.cancel()
    assert "HTTP 500" in sink.down[0]
    latency = registry.get_sample_value("ballast_oracle_source_request_seconds_count",
                                        {"source": "switchboard"})
    assert latency is not None and latency >= 3
