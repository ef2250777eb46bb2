"""What the monitor publishes: `etf.events.<kind>`, `etf.metrics`, `governance.proposals`.

ETF events go out pipelined (JetStream publish_async, then one wait for all acks): a backfill
publishes thousands per range, and waiting for each ack alone caps at about 4,800 msg/s
(REFERENCE.md "Measured"). Message ids make every publish safe to repeat:
`<tx_hash>:<log_index>:<block_hash>` for a log (the same log in the same block is the same
fact; after a reorg the same transaction in another block is a new one, and the stream's
two-minute duplicate window must not swallow it), with `:removed` for its rollback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ballast.common.bus import MSG_ID_HEADER, Bus
from ballast.common.messages import EtfEvent, EtfEventKind, EtfMetrics, GovernanceProposal
from ballast.common.subjects import ETF_METRICS, GOVERNANCE_PROPOSALS, etf_event, stream_for
from ballast.contract_monitor.adapters.repository import StoredLog

PIPELINE = 2048


def event_msg_id(s: StoredLog, removed: bool) -> str:
    base = f"{s.log.tx_hash}:{s.log.log_index}:{s.log.block_hash}"
    return base + ":removed" if removed else base


def etf_message(s: StoredLog, removed: bool, observed_at: datetime) -> EtfEvent:
    return EtfEvent(
        kind=EtfEventKind(s.kind), event_name=s.log.event_name, contract=s.log.address,
        tx_hash=s.log.tx_hash, log_index=s.log.log_index, block_number=s.log.block_number,
        block_hash=s.log.block_hash, args=s.log.args, removed=removed, observed_at=observed_at,
    )


class FactPublisher:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._stream = stream_for(ETF_METRICS).name

    async def etf_events(
        self, logs: Sequence[StoredLog], observed_at: datetime, *, removed: bool = False
    ) -> int:
        """Publish the ETF logs among `logs` in order; returns how many."""
        js = self.bus.jetstream
        ns = self.bus.ns
        stream = ns.stream(self._stream)
        pending: list[asyncio.Future[Any]] = []
        count = 0
        for s in logs:
            if s.source != "etf":
                continue
            payload = etf_message(s, removed, observed_at).model_dump_json().encode()
            pending.append(await js.publish_async(
                ns.subject(etf_event(s.kind)), payload, stream=stream,
                headers={MSG_ID_HEADER: event_msg_id(s, removed),
                         "content-type": "application/json"}))
            count += 1
            if len(pending) >= PIPELINE:
                await asyncio.gather(*pending)
                pending.clear()
        if pending:
            await asyncio.gather(*pending)
        if count:
            self.bus.metrics.published.labels(self._stream).inc(count)
        return count

    async def metrics(self, m: EtfMetrics, block_hash: str) -> None:
        await self.bus.publish(m, ETF_METRICS, msg_id=f"etf-metrics:{m.block_number}:{block_hash}")

    async def proposal(self, p: GovernanceProposal, msg_id: str) -> None:
        await self.bus.publish(p, GOVERNANCE_PROPOSALS, msg_id=msg_id)
