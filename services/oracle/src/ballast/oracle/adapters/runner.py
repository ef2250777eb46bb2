"""Drives the feeds: poll on an interval or follow a stream, hand readings to a sink, and turn
every failure into a log line, a metric and a DOWN flag (issue #4 "Behaviour under bad input").

A source can raise anything at all; the runner never lets it out (the service never crashes
on a source's output) and retries with exponential backoff.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Protocol

from ballast.common.messages import PriceObservation, Trade
from ballast.oracle.adapters.base import PolledFeed, SourceError, StreamedFeed
from ballast.oracle.domain.backoff import backoff_delay
from ballast.oracle.metrics import OracleMetrics

log = logging.getLogger("ballast.oracle.sources")


class TradeScanner(Protocol):
    async def poll(self) -> list[Trade]: ...


class ObservationSink(Protocol):
    def observe(self, observation: PriceObservation) -> None: ...

    def source_down(self, source: str, symbol: str, reason: str) -> None: ...


class _Failures:
    def __init__(self, source: str, symbol: str, sink: ObservationSink,
                 metrics: OracleMetrics) -> None:
        self.source, self.symbol, self.sink, self.metrics = source, symbol, sink, metrics
        self.count = 0

    def fail(self, err: SourceError) -> None:
        if err.backoff:
            self.count += 1
        self.metrics.source_errors.labels(self.source, self.symbol, err.kind).inc()
        self.metrics.source_up.labels(self.source, self.symbol).set(0)
        log.warning("source down", extra={"source": self.source, "symbol": self.symbol,
                                          "kind": err.kind, "error": err.detail,
                                          "consecutive": self.count})
        self.sink.source_down(self.source, self.symbol, str(err))

    def ok(self, observation: PriceObservation) -> None:
        if self.count:
            log.info("source back up", extra={"source": self.source, "symbol": self.symbol})
        self.count = 0
        self.metrics.source_up.labels(self.source, self.symbol).set(1)
        self.metrics.source_price.labels(self.source, self.symbol).set(float(observation.price))
        self.metrics.observations.labels(self.source, self.symbol).inc()
        self.sink.observe(observation)


async def run_polled(
    feed: PolledFeed,
    sink: ObservationSink,
    metrics: OracleMetrics,
    interval: float,
    *,
    backoff_base: float = 0.5,
    backoff_cap: float = 60.0,
) -> None:
    """Read `feed` every `interval` seconds until cancelled; back off while it fails."""
    failures = _Failures(feed.source, feed.symbol, sink, metrics)
    while True:
        started = time.perf_counter()
        try:
            observation = await feed.read()
        except SourceError as err:
            failures.fail(err)
        except Exception as err:  # noqa: BLE001 - a source's output must never kill the service
            log.exception("source raised unexpectedly", extra={"source": feed.source})
            failures.fail(SourceError("error", f"{type(err).__name__}: {err}"))
        else:
            failures.ok(observation)
        finally:
            metrics.request_seconds.labels(feed.source).observe(time.perf_counter() - started)
        delay = interval
        if failures.count:
            delay = max(interval, backoff_delay(failures.count, base=backoff_base,
                                                cap=backoff_cap, rand=random.random()))
        await asyncio.sleep(delay)


async def run_streamed(feed: StreamedFeed, sink: ObservationSink, metrics: OracleMetrics,
                       *, restart_delay: float = 1.0) -> None:
    """Follow `feed.stream` until cancelled (the stream reconnects itself; if it ever ends or
    raises, start it again after a pause)."""
    failures = _Failures(feed.source, feed.symbol, sink, metrics)
    while True:
        try:
            async for observation in feed.stream(failures.fail):
                failures.ok(observation)
        except Exception as err:  # noqa: BLE001 - see run_polled
            log.exception("stream raised unexpectedly", extra={"source": feed.source})
            failures.fail(SourceError("error", f"{type(err).__name__}: {err}"))
        await asyncio.sleep(restart_delay)


class TradeSink(Protocol):
    def trade(self, trade: Trade) -> None: ...


async def run_trade_scanner(
    scanner: TradeScanner, sink: TradeSink, metrics: OracleMetrics, interval: float, *,
    label: str, symbol: str, backoff_cap: float = 60.0,
) -> None:
    """Poll a trade scanner until cancelled; failures are logged, counted and backed off."""
    failures = 0
    while True:
        try:
            for trade in await scanner.poll():
                sink.trade(trade)
            failures = 0
        except Exception as err:  # noqa: BLE001 - see run_polled
            failures += 1
            kind = err.kind if isinstance(err, SourceError) else "error"
            metrics.source_errors.labels(label, symbol, kind).inc()
            log.warning("trade scan failed", extra={"source": label, "error": str(err)})
        delay = interval if not failures else max(
            interval, backoff_delay(failures, cap=backoff_cap, rand=random.random()))
        await asyncio.sleep(delay)
