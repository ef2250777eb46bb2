"""The poll: reorg check, then logs range by range up to the confirmed block, then governance
progress and one read of the suite. Fetch first, decide second (domain/), act third.

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
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ballast.common.messages import EtfMetrics, utcnow
from ballast.contract_monitor.adapters.abi import LogDecoder
from ballast.contract_monitor.adapters.governance import GovernanceReader
from ballast.contract_monitor.adapters.repository import Repository, StoredLog
from ballast.contract_monitor.adapters.rpc import Rpc, RpcError
from ballast.contract_monitor.adapters.suite import EtfReader, ReadError
from ballast.contract_monitor.domain.etf import build_metrics
from ballast.contract_monitor.domain.events import GOVERNANCE_EVENTS, etf_kind
from ballast.contract_monitor.domain.governance import OPEN_STATES, proposal_message, state_name
from ballast.contract_monitor.domain.model import DecodedLog, EtfReading
from ballast.contract_monitor.domain.reorg import fork_point
from ballast.contract_monitor.handlers import FactPublisher
from ballast.contract_monitor.metrics import MonitorMetrics
from ballast.strategy.basket import realised_apy

APY_WINDOW = timedelta(days=30)
"""The realised APY's window: NAV growth over the last 30 days, annualised."""
log = logging.getLogger("ballast.contract_monitor")

ETF_CONTRACTS = ("StakeBasket", "StakingManager", "UnbondingQueue")
GOVERNANCE_CONTRACTS = ("PstrGovernor", "PstrTimelock")
RECENT_CHECKPOINTS = 32
PROGRESS_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class MonitorConfig:
    etf_addresses: tuple[str, ...]
    governance_addresses: tuple[str, ...] = ()
    confirmations: int = 3
    block_range: int = 2000
    start_block: int = 0
    reorg_window_blocks: int = 512
    metrics_every_blocks: int = 1
    invariant_tolerance: Decimal = Decimal("0.000001")
    loss_event_names: tuple[str, ...] = ()
    block_seconds: float = 3.0


class ContractMonitor:
    def __init__(
        self,
        rpc: Rpc,
        etf: EtfReader,
        governance: GovernanceReader | None,
        publisher: FactPublisher,
        metrics: MonitorMetrics,
        config: MonitorConfig,
    ) -> None:
        self.rpc = rpc
        self.etf = etf
        self.governance = governance
        self.publisher = publisher
        self.metrics = metrics
        self.config = config
        self.decoder = LogDecoder(ETF_CONTRACTS + (GOVERNANCE_CONTRACTS if governance else ()))
        self.addresses = list(config.etf_addresses) + list(config.governance_addresses)
        self._source = {a.lower(): "etf" for a in config.etf_addresses} | {
            a.lower(): "governance" for a in config.governance_addresses}
        self.repo: Repository | None = None
        self.chain_id = 0
        self.stored = self.published = -1
        self.reorgs = 0  # rolled back so far: part of message ids (handlers.event_msg_id)
        self.previous: EtfReading | None = None
        self.last_metrics_block = -1
        self._progress: dict[int, tuple[tuple[int, ...], float]] = {}
        self._closed: set[int] = set()  # defeated or expired: nothing will change any more

    # ------------------------------------------------------------------ lifecycle
    async def start(self, repo: Repository) -> None:
        self.repo = repo
        self.chain_id = await self.rpc.chain_id()
        cursor = await repo.cursor(self.chain_id)
        if cursor is None:
            await repo.init_cursor(self.chain_id, self.config.start_block - 1)
            cursor = (self.config.start_block - 1, self.config.start_block - 1, 0)
        self.stored, self.published, self.reorgs = cursor
        self.previous = await repo.last_reading()
        if self.previous is not None:
            self.last_metrics_block = self.previous.block_number

    @property
    def _repo(self) -> Repository:
        if self.repo is None:
            raise RuntimeError("ContractMonitor.start() first")
        return self.repo

    # ------------------------------------------------------------------ the poll
    async def poll(self) -> None:
        t0 = time.perf_counter()
        try:
            head = await self.rpc.block_number()
            target = head - self.config.confirmations
            self.metrics.block.labels("head").set(head)
            self.metrics.block.labels("confirmed").set(target)
            await self._publish_unpublished()  # what a crash left stored but not published
            await self.check_reorg()
            await self.index_to(target)
            await self._repo.prune_blocks(self.stored - self.config.reorg_window_blocks)
            if target >= 0 and target >= self.last_metrics_block + self.config.metrics_every_blocks:
                await self.read_metrics(target)
            if self.governance is not None and target >= 0:
                await self.governance_progress(target)
        except Exception:
            self.metrics.polls.labels("error").inc()
            raise
        self.metrics.polls.labels("ok").inc()
        self.metrics.poll_seconds.observe(time.perf_counter() - t0)

    async def index_to(self, target: int) -> None:
        """Index every block up to `target`, range by range, as a pipeline: while range N is
        decoded and stored, range N+1's eth_getLogs is in flight and range N-1 is being
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
                raw, header = await fetch
                if i + 1 < len(ranges):
                    fetch = asyncio.create_task(self._fetch(*ranges[i + 1]))
                logs = await self._store(high, raw, header)
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

    async def index_range(self, low: int, high: int) -> int:
        """Index blocks [low, high] (the cursor must stand at low - 1); returns the log count."""
        logs = await self._store(high, *await self._fetch(low, high))
        await self._publish_range(logs, high)
        return len(logs)

    async def _fetch(self, low: int, high: int) -> tuple[list[Any], dict[str, Any] | None]:
        """One round trip: the range's logs and its last block's hash. A node that refuses the
        range (public RPCs cap blocks or results per eth_getLogs) gets two halves instead."""
        try:
            raw, header = await self.rpc.batch([
                ("eth_getLogs", [{"address": self.addresses, "fromBlock": hex(low),
                                  "toBlock": hex(high)}]),
                ("eth_getBlockByNumber", [hex(high), False]),
            ])
        except RpcError as err:
            if high <= low or err.method != "eth_getLogs":
                raise
            mid = (low + high) // 2
            log.info("eth_getLogs range refused, halving",
                     extra={"from": low, "to": high, "error": str(err)[:200]})
            first, _ = await self._fetch(low, mid)
            second, header = await self._fetch(mid + 1, high)
            return first + second, header
        return raw, header

    async def _store(
        self, high: int, raw: list[Any], header: dict[str, Any] | None
    ) -> list[StoredLog]:
        logs = [self._stored(d) for d in self.decoder.decode(raw)]
        checkpoints = {s.log.block_number: s.log.block_hash for s in logs}
        if header is not None:
            checkpoints[high] = header["hash"]
        await self._repo.store(self.chain_id, logs, sorted(checkpoints.items()), high)
        self.stored = high
        self.metrics.block.labels("stored").set(high)
        for name, count in Counter(s.log.event_name for s in logs).items():
            self.metrics.events.labels(name).inc(count)
        return logs

    async def _publish_range(self, logs: list[StoredLog], high: int) -> None:
        await self._publish(logs)
        await self._repo.mark_published(self.chain_id, high)
        self.published = high
        self.metrics.block.labels("published").set(high)

    def _stored(self, d: DecodedLog) -> StoredLog:
        source = self._source.get(d.address.lower(), "etf")
        kind = etf_kind(d.event_name).value if source == "etf" else \
            GOVERNANCE_EVENTS.get(d.event_name, "other")
        return StoredLog(d, source, kind)

    async def _publish(self, logs: Sequence[StoredLog]) -> None:
        await self.publisher.etf_events(logs, utcnow(), epoch=self.reorgs)
        for s in logs:
            if s.source == "governance" and s.log.event_name in GOVERNANCE_EVENTS:
                await self._publish_governance_event(s)

    async def _publish_unpublished(self) -> None:
        if self.published < self.stored:
            logs = await self._repo.events_between(self.published, self.stored)
            log.info("publishing stored logs again", extra={"from": self.published + 1,
                                                            "to": self.stored, "logs": len(logs)})
            await self._publish(logs)
            await self._repo.mark_published(self.chain_id, self.stored)
            self.published = self.stored

    # ------------------------------------------------------------------ reorgs
    async def check_reorg(self) -> int | None:
        """Roll back to the fork point if stored block hashes left the chain; returns it."""
        stored = await self._repo.checkpoints(self.stored, RECENT_CHECKPOINTS)
        if not stored:
            return None
        chain = await self.rpc.block_hashes([n for n, _ in stored])
        fork = fork_point(stored, chain)
        if fork == stored[0][0]:
            return None
        while fork is None and stored:
            stored = await self._repo.checkpoints(stored[-1][0] - 1, 256)
            if stored:
                fork = fork_point(stored, await self.rpc.block_hashes([n for n, _ in stored]))
        if fork is None:
            fork = self.config.start_block - 1
        await self.rollback(fork)
        return fork

    async def rollback(self, fork: int) -> None:
        undone = await self._repo.events_between(fork, self.stored)
        log.warning("reorg: rolling back", extra={"fork": fork, "stored": self.stored,
                                                   "logs": len(undone)})
        # published before the rows go: a crash in between finds the same reorg again and
        # publishes the same ids (this epoch + 1), which the stream drops
        await self.publisher.etf_events(undone, utcnow(), removed=True, epoch=self.reorgs + 1)
        await self._repo.rollback(self.chain_id, fork)
        self.reorgs += 1
        self.metrics.reorgs.inc()
        self.metrics.rolled_back.inc(len(undone))
        self.stored = self.published = min(self.stored, fork)
        if self.previous is not None and self.previous.block_number > fork:
            self.previous = await self._repo.last_reading()
            self.last_metrics_block = self.previous.block_number if self.previous else -1
        self._progress.clear()
        self._closed.clear()

    # ------------------------------------------------------------------ ETF metrics
    async def read_metrics(self, block: int) -> None:
        try:
            reading = await self.etf.read(block)
        except ReadError as err:
            self.metrics.read_failures.inc()
            log.warning("suite read failed", extra={"block": block, "error": str(err)})
            return
        low = self.previous.block_number if self.previous else -1
        losses = await self._repo.event_names_between(
            self.config.loss_event_names, low, block)
        message = build_metrics(reading, self.previous, self.config.invariant_tolerance, losses)
        header = await self.rpc.block(block)
        await self._repo.save_snapshot(reading, message)
        await self.publisher.metrics(message, header["hash"] if header else "")
        self.metrics.observe(message)
        await self._observe_returns(message)
        self.previous = reading
        self.last_metrics_block = block

    async def _observe_returns(self, m: EtfMetrics) -> None:
        """Realised APY (NAV growth, 30-day window) and unique depositors; TVL is the AUM."""
        first = await self._repo.first_nav_since(m.block_timestamp - APY_WINDOW)
        if first is not None:
            apy = realised_apy(first[1], m.nav_per_share,
                               (m.block_timestamp - first[0]).total_seconds())
            if apy is not None:
                self.metrics.realised_apy.set(float(apy))
        self.metrics.depositors.set(await self._repo.unique_depositors())

    # ------------------------------------------------------------------ governance
    async def _publish_governance_event(self, s: StoredLog) -> None:
        pid = int(s.log.args["proposalId"])
        msg_id = f"{s.log.tx_hash}:{s.log.log_index}:{s.log.block_hash}"
        if self.reorgs:
            msg_id += f":{self.reorgs}"
        sent = await self._proposal(pid, s.log.block_number, GOVERNANCE_EVENTS[s.log.event_name],
                                    msg_id)
        if sent:
            self.metrics.governance.labels(GOVERNANCE_EVENTS[s.log.event_name]).inc()

    async def _proposal(self, pid: int, block: int, event: str, msg_id: str) -> bool:
        """Read, count and publish one proposal at `block`; False when it cannot be read."""
        assert self.governance is not None
        created = await self._repo.created(pid)
        if created is None:
            return False
        try:
            view = await self.governance.read(
                created, await self._repo.voters(pid, block), block)
        except ReadError as err:
            log.warning("proposal read failed", extra={"proposal": str(pid), "error": str(err)})
            return False
        message = proposal_message(view, event, self.config.block_seconds, utcnow())
        await self.publisher.proposal(message, msg_id)
        return True

    async def governance_progress(self, block: int) -> None:
        """`progress` of each open proposal when its state or votes changed, or every minute."""
        now = time.monotonic()
        for pid in await self._repo.open_proposals():
            if pid in self._closed:
                continue
            last = self._progress.get(pid)
            created = await self._repo.created(pid)
            if created is None or self.governance is None:
                continue
            voters = await self._repo.voters(pid, block)
            try:
                view = await self.governance.read(created, voters, block)
            except ReadError:
                continue
            key = (view.state, len(view.ballots))
            if last is not None and last[0] == key and now - last[1] < PROGRESS_EVERY_SECONDS:
                continue
            if state_name(view.state) not in OPEN_STATES:
                self._closed.add(pid)  # published once more below, with its final state
            message = proposal_message(view, "progress", self.config.block_seconds, utcnow())
            await self.publisher.proposal(
                message, f"gov:{pid}:progress:{block}:{self.reorgs}")
            self.metrics.governance.labels("progress").inc()
            self._progress[pid] = (key, now)
