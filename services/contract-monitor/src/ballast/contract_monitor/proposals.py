"""Governance proposals beside the core (app.py would pass 300 lines with them): each Governor
event read and published as a proposal, and the progress of the open ones while they stay open.
Fetch (the event store, the Governor), decide (domain/governance.py), act (the publisher)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from ballast.common.messages import utcnow
from ballast.contract_monitor.adapters.suite import ReadError
from ballast.contract_monitor.domain.events import GOVERNANCE_EVENTS
from ballast.contract_monitor.domain.governance import OPEN_STATES, proposal_message, state_name
from ballast.contract_monitor.domain.model import StoredLog
from ballast.contract_monitor.metrics import MonitorMetrics

if TYPE_CHECKING:
    from ballast.contract_monitor.app import GovernanceReads, ProposalStore, Publisher

log = logging.getLogger("ballast.contract_monitor")
PROGRESS_EVERY_SECONDS = 60.0


class Proposals:
    def __init__(self, governance: GovernanceReads, store: ProposalStore, publisher: Publisher,
                 metrics: MonitorMetrics, *, block_seconds: float) -> None:
        self.governance = governance
        self.store = store
        self.publisher = publisher
        self.metrics = metrics
        self.block_seconds = block_seconds
        self._progress: dict[int, tuple[tuple[int, ...], float]] = {}
        self._closed: set[int] = set()  # defeated or expired: nothing will change any more

    def reset(self) -> None:
        """After a rollback: every open proposal is read and published again."""
        self._progress.clear()
        self._closed.clear()

    async def on_event(self, s: StoredLog, reorgs: int) -> None:
        pid = int(s.log.args["proposalId"])
        msg_id = f"{s.log.tx_hash}:{s.log.log_index}:{s.log.block_hash}"
        if reorgs:
            msg_id += f":{reorgs}"
        event = GOVERNANCE_EVENTS[s.log.event_name]
        if await self._proposal(pid, s.log.block_number, event, msg_id):
            self.metrics.governance.labels(event).inc()

    async def _proposal(self, pid: int, block: int, event: str, msg_id: str) -> bool:
        """Read, count and publish one proposal at `block`; False when it cannot be read."""
        created = await self.store.created(pid)
        if created is None:
            return False
        try:
            view = await self.governance.read(created, await self.store.voters(pid, block), block)
        except ReadError as err:
            log.warning("proposal read failed", extra={"proposal": str(pid), "error": str(err)})
            return False
        message = proposal_message(view, event, self.block_seconds, utcnow())
        await self.publisher.proposal(message, msg_id)
        return True

    async def progress(self, block: int, reorgs: int) -> None:
        """`progress` of each open proposal when its state or votes changed, or every minute."""
        now = time.monotonic()
        for pid in await self.store.open_proposals():
            if pid in self._closed:
                continue
            last = self._progress.get(pid)
            created = await self.store.created(pid)
            if created is None:
                continue
            voters = await self.store.voters(pid, block)
            try:
                view = await self.governance.read(created, voters, block)
            except ReadError:
                continue
            key = (view.state, len(view.ballots))
            if last is not None and last[0] == key and now - last[1] < PROGRESS_EVERY_SECONDS:
                continue
            if state_name(view.state) not in OPEN_STATES:
                self._closed.add(pid)  # published once more below, with its final state
            message = proposal_message(view, "progress", self.block_seconds, utcnow())
            await self.publisher.proposal(message, f"gov:{pid}:progress:{block}:{reorgs}")
            self.metrics.governance.labels("progress").inc()
            self._progress[pid] = (key, now)
