"""Settings -> running feeds: one task per configured (symbol, source)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import aiohttp

from ballast.oracle.adapters.crossbar import CrossbarFeed
from ballast.oracle.adapters.hermes import HermesClient, HermesFeed
from ballast.oracle.adapters.repository import HistoryReader
from ballast.oracle.adapters.runner import ObservationSink, run_polled, run_streamed
from ballast.oracle.metrics import OracleMetrics
from ballast.oracle.settings import (
    OracleSettings,
    PythHermesSource,
    SourceSettings,
    SwitchboardCrossbarSource,
)

log = logging.getLogger("ballast.oracle.sources")


class FeedSupervisor:
    """Builds the feeds of every symbol and runs them until cancelled."""

    def __init__(self, settings: OracleSettings, sink: Any, metrics: OracleMetrics,
                 reader: HistoryReader) -> None:
        self.settings = settings
        self.sink: Any = sink  # ObservationSink, plus head()/trade() for chain sources
        self.metrics = metrics
        self.reader = reader  # where a restarted trade scanner resumes

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            jobs = [job for symbol, spec in self.settings.symbols.items()
                    for source in spec.sources
                    if (job := self.job(symbol, source, session)) is not None]
            log.info("sources started", extra={"count": len(jobs)})
            if not jobs:
                await asyncio.Event().wait()  # nothing to poll: idle until the service stops
            async with asyncio.TaskGroup() as group:
                for job in jobs:
                    group.create_task(job)

    def job(self, symbol: str, source: SourceSettings,
            session: aiohttp.ClientSession) -> Coroutine[Any, Any, None] | None:
        sink: ObservationSink = self.sink
        if isinstance(source, PythHermesSource):
            client = HermesClient(
                source.endpoint, session, timeout=source.timeout_seconds,
                api_key=source.api_key.get_secret_value() if source.api_key else None)
            feed = HermesFeed(client, source.feed_id, symbol, source.label)
            if source.stream:
                return run_streamed(feed, sink, self.metrics)
            return run_polled(feed, sink, self.metrics, source.poll_seconds)
        if isinstance(source, SwitchboardCrossbarSource):
            feed = CrossbarFeed(source.endpoint, session, source.feed_hash, symbol,
                                source.label, source.timeout_seconds)
            return run_polled(feed, sink, self.metrics, source.poll_seconds)
        from ballast.oracle.adapters.chain_factory import chain_job  # noqa: PLC0415

        return chain_job(symbol, source, self.sink, self.metrics, self.reader)
