"""The contract monitor's application core. The poll: reorg check, then logs range by range up
to the confirmed block, then governance progress (proposals.py) and one read of the suite.
Fetch first (the ports), decide second (domain/), act third (the ports).

Exactly once across restarts: a range's logs, their block hashes and the `stored` cursor are
written in one transaction; the logs are then published and the `published` cursor moves. A
restart publishes (published, stored] again with the same message ids, so JetStream drops what
already went out, and nothing is skipped. A reorg is found by comparing stored block hashes with
the chain's; everything after the fork point is published as removed, deleted, and indexed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from ballast.common.messages import EtfMetrics, GovernanceProposal, utcnow
from ballast.contract_monitor.adapters.abi import LogDecoder
from ballast.contract_monitor.adapters.governance import Created
from ballast.contract_monitor.adapters.suite import ReadError
from ballast.contract_monitor.domain.etf import build_metrics
from ballast.contract_monitor.domain.events import GOVERNANCE_EVENTS, Classifier
from ballast.contract_monitor.domain.governance import ProposalView
from ballast.contract_monitor.domain.model import EtfReading, MonitorConfig, StoredLog
from ballast.contract_monitor.domain.reorg import fork_point
from ballast.contract_monitor.metrics import MonitorMetrics
from ballast.contract_monitor.proposals import Proposals
from ballast.strategy.basket import realised_apy

APY_WINDOW = timedelta(days=30)
"""The realised APY's window: NAV growth over the last 30 days, annualised."""
log = logging.getLogger("ballast.contract_monitor")

ETF_CONTRACTS = ("StakeBasket", "StakingManager", "UnbondingQueue")
GOVERNANCE_CONTRACTS = ("PstrGovernor", "PstrTimelock", "StrategyParameters")
RECENT_CHECKPOINTS = 32


class Chain(Protocol):
    async def chain_id(self) -> int: ...
    async def block_number(self) -> int: ...
    async def block(self, number: int | str) -> dict[str, Any] | None: ...
    async def block_hashes(self, numbers: Sequence[int]) -> dict[int, str | None]: ...


class Logs(Protocol):
    async def fetch(self, low: int, high: int) -> tuple[list[Any], dict[str, Any] | None]: ...


class Suite(Protocol):
    async def read(self, block: int) -> EtfReading: ...


class GovernanceReads(Protocol):
    async def read(self, created: Created, voters: Sequence[tuple[str, int]],
                   block: int) -> ProposalView: ...


class Publisher(Protocol):
    async def etf_events(self, logs: Sequence[StoredLog], observed_at: datetime, *,
                         removed: bool = False, epoch: int = 0) -> int: ...
    async def metrics(self, m: EtfMetrics, block_hash: str) -> None: ...
    async def proposal(self, p: GovernanceProposal, msg_id: str) -> None: ...
    async def parameters(self, logs: Sequence[StoredLog], observed_at: datetime, *,
                         removed: bool = False, epoch: int = 0) -> int: ...


class ProposalStore(Protocol):
    async def created(self, proposal_id: int) -> Created | None: ...
    async def voters(self, proposal_id: int, up_to_block: int) -> list[tuple[str, int]]: ...
    async def open_proposals(self) -> list[int]: ...


class Store(Protocol):
    """The record: logs, block hashes and the cursors; ETF snapshots."""

    async def cursor(self, chain_id: int) -> tuple[int, int, int] | None: ...
    async def init_cursor(self, chain_id: int, block: int) -> None: ...
    async def mark_published(self, chain_id: int, block: int) -> None: ...
    async def store(self, chain_id: int, logs: Sequence[StoredLog],
                    checkpoints: Sequence[tuple[int, str]], to_block: int) -> None: ...
    async def events_between(self, low: int, high: int) -> list[StoredLog]: ...
    async def checkpoints(self, at_or_below: int, limit: int) -> list[tuple[int, str]]: ...
    async def rollback(self, chain_id: int, fork: int) -> list[StoredLog]: ...
    async def prune_blocks(self, below: int) -> None: ...
    async def event_names_between(self, names: Sequence[str], low: int,
                                  high: int) -> list[str]: ...
    async def save_snapshot(self, reading: EtfReading, metrics: EtfMetrics) -> None: ...
    async def first_nav_since(self, since: datetime) -> tuple[datetime, Decimal] | None: ...
    async def unique_depositors(self) -> int: ...
    async def last_reading(self) -> EtfReading | None: ...


class ContractMonitor:
    def __init__(
        self,
        chain: Chain,
        logs: Logs,
        etf: Suite,
        proposals: Proposals | None,
        store: Store,
        publisher: Publisher,
        metrics: MonitorMetrics,
        config: MonitorConfig,
    ) -> None:
        self.chain, self.logs, self.etf, self.proposals = chain, logs, etf, proposals
        self.store, self.publisher, self.metrics, self.config = store, publisher, metrics, config
        self.decoder = LogDecoder(ETF_CONTRACTS + (GOVERNANCE_CONTRACTS if proposals else ()))
        self.classify = Classifier({a.lower(): "etf" for a in config.etf_addresses} | {
            a.lower(): "governance" for a in config.governance_addresses})
        self.chain_id = 0
        self.stored = self.published = -1
        self.reorgs = 0  # rolled back so far: part of message ids (publisher.event_msg_id)
        self.previous: EtfReading | None = None
        self.last_metrics_block = -1

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Where the record stands: the chain, the cursors, the last reading of the suite."""
        self.chain_id = await self.chain.chain_id()
        cursor = await self.store.cursor(self.chain_id)
        if cursor is None:
            await self.store.init_cursor(self.chain_id, self.config.start_block - 1)
            cursor = (self.config.start_block - 1, self.config.start_block - 1, 0)
        self.stored, self.published, self.reorgs = cursor
        self.previous = await self.store.last_reading()
        if self.previous is not None:
            self.last_metrics_block = self.previous.block_number

    # ------------------------------------------------------------------ the poll
    async def poll(self) -> None:
        t0 = time.perf_counter()
        try:
            head = await self.chain.block_number()
            target = head - self.config.confirmations
            self.metrics.block.labels("head").set(head)
            self.metrics.block.labels("confirmed").set(target)
            await self._publish_unpublished()  # what a crash left stored but not published
            await self.check_reorg()
            await self.index_to(target)
            await self.store.prune_blocks(self.stored - self.config.reorg_window_blocks)
            if target >= 0 and target >= self.last_metrics_block + self.config.metrics_every_blocks:
                await self.read_metrics(target)
            if self.proposals is not None and target >= 0:
                await self.proposals.progress(target, self.reorgs)
        except Exception:
            self.metrics.polls.labels("error").inc()
            raise
        self.metrics.polls.labels("ok").inc()
        self.metrics.poll_seconds.observe(time.perf_counter() - t0)

    async def index_to(self, target: int) -> None:
        """Index every block up to `target`, range by range, as a pipeline: while range N is
        stored, range N+1's eth_getLogs is in flight and then decoded, and range N-1 is being
        published. Publishing stays in chain order and never runs ahead of storing."""
        step = self.config.block_range
        ranges = [(low, min(low + step - 1, target))
                  for low in range(self.stored + 1, target + 1, step)]
        if not ranges:
            return
        fetch = asyncio.create_task(self._fetch(*ranges[0]))
        publishing: asyncio.Task[None] | None = None
        try:
            for i, (_, high) in enumerate(ranges):
                logs, checkpoints = await fetch
                if i + 1 < len(ranges):
                    fetch = asyncio.create_task(self._fetch(*ranges[i + 1]))
                await self._store(high, logs, checkpoints)
                if publishing is not None:
                    await publishing
                publishing = asyncio.create_task(self._publish_range(logs, high))
            if publishing is not None:
                await publishing
        finally:
            for task in (fetch, publishing):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    async def _fetch(self, low: int, high: int) -> tuple[list[StoredLog], list[tuple[int, str]]]:
        """A range's logs, decoded, and the block hashes to keep (reorg checks)."""
        raw, header = await self.logs.fetch(low, high)
        logs = self.classify(self.decoder.decode(raw))
        checkpoints = {s.log.block_number: s.log.block_hash for s in logs}
        if header is not None:
            checkpoints[high] = header["hash"]
        return logs, sorted(checkpoints.items())

    async def _store(
        self, high: int, logs: list[StoredLog], checkpoints: list[tuple[int, str]]
    ) -> None:
        await self.store.store(self.chain_id, logs, checkpoints, high)
        self.stored = high
        self.metrics.block.labels("stored").set(high)
        for name, count in Counter(s.log.event_name for s in logs).items():
            self.metrics.events.labels(name).inc(count)

    async def _publish_range(self, logs: list[StoredLog], high: int) -> None:
        await self._publish(logs)
        await self.store.mark_published(self.chain_id, high)
        self.published = high
        self.metrics.block.labels("published").set(high)

    async def _publish(self, logs: Sequence[StoredLog]) -> None:
        await self.publisher.etf_events(logs, utcnow(), epoch=self.reorgs)
        await self.publisher.parameters(logs, utcnow(), epoch=self.reorgs)
        if self.proposals is None:
            return
        for s in logs:
            if s.source == "governance" and s.log.event_name in GOVERNANCE_EVENTS:
                await self.proposals.on_event(s, self.reorgs)

    async def _publish_unpublished(self) -> None:
        if self.published < self.stored:
            logs = await self.store.events_between(self.published, self.stored)
            log.info("publishing stored logs again", extra={"from": self.published + 1,
                                                            "to": self.stored, "logs": len(logs)})
            await self._publish(logs)
            await self.store.mark_published(self.chain_id, self.stored)
            self.published = self.stored

    # ------------------------------------------------------------------ reorgs
    async def check_reorg(self) -> int | None:
        """Roll back to the fork point if stored block hashes left the chain; returns it."""
        stored = await self.store.checkpoints(self.stored, RECENT_CHECKPOINTS)
        if not stored:
            return None
        chain = await self.chain.block_hashes([n for n, _ in stored])
        fork = fork_point(stored, chain)
        if fork == stored[0][0]:
            return None
        while fork is None and stored:
            stored = await self.store.checkpoints(stored[-1][0] - 1, 256)
            if stored:
                fork = fork_point(stored, await self.chain.block_hashes([n for n, _ in stored]))
        if fork is None:
            fork = self.config.start_block - 1
        await self.rollback(fork)
        return fork

    async def rollback(self, fork: int) -> None:
        undone = await self.store.events_between(fork, self.stored)
        log.warning("reorg: rolling back", extra={"fork": fork, "stored": self.stored,
                                                   "logs": len(undone)})
        # published before the rows go: a crash in between finds the same reorg again and
        # publishes the same ids (this epoch + 1), which the stream drops
        await self.publisher.etf_events(undone, utcnow(), removed=True, epoch=self.reorgs + 1)
        await self.publisher.parameters(undone, utcnow(), removed=True, epoch=self.reorgs + 1)
        await self.store.rollback(self.chain_id, fork)
        self.reorgs += 1
        self.metrics.reorgs.inc()
        self.metrics.rolled_back.inc(len(undone))
        self.stored = self.published = min(self.stored, fork)
        if self.previous is not None and self.previous.block_number > fork:
            self.previous = await self.store.last_reading()
            self.last_metrics_block = self.previous.block_number if self.previous else -1
        if self.proposals is not None:
            self.proposals.reset()

    # ------------------------------------------------------------------ ETF metrics
    async def read_metrics(self, block: int) -> None:
        try:
            reading = await self.etf.read(block)
        except ReadError as err:
            self.metrics.read_failures.inc()
            log.warning("suite read failed", extra={"block": block, "error": str(err)})
            return
        low = self.previous.block_number if self.previous else -1
        losses = await self.store.event_names_between(
            self.config.loss_event_names, low, block)
        message = build_metrics(reading, self.previous, self.config.invariant_tolerance, losses)
        header = await self.chain.block(block)
        await self.store.save_snapshot(reading, message)
        await self.publisher.metrics(message, header["hash"] if header else "")
        self.metrics.observe(message)
        await self._observe_returns(message)
        self.previous = reading
        self.last_metrics_block = block

    async def _observe_returns(self, m: EtfMetrics) -> None:
        """Realised APY (NAV growth, 30-day window) and unique depositors; TVL is the AUM."""
        first = await self.store.first_nav_since(m.block_timestamp - APY_WINDOW)
        if first is not None:
            apy = realised_apy(first[1], m.nav_per_share,
                               (m.block_timestamp - first[0]).total_seconds())
            if apy is not None:
                self.metrics.realised_apy.set(float(apy))
        self.metrics.depositors.set(await self.store.unique_depositors())
