"""What the monitor publishes (the core's `Publisher`): `etf.events.<kind>`, `etf.metrics`,
`governance.proposals`, `governance.parameters` (each StrategyParameters `ParameterChanged`,
one JetStream publish each: they are rare, and a service applies them in order).

ETF events of a range go out as plain NATS publishes, the last one as a JetStream publish
that waits for the stream's ack. The CHAIN stream captures the plain ones too (same subjects),
and the server handles one connection's messages in order, so that one ack means the stream
has taken every event of the range; the monitor moves its `published` cursor only then. Waiting
for an ack per event caps at about 4,800 msg/s, and even pipelined acks (publish_async) cost
about 200 us of client work each here (REFERENCE.md "Measured"); a backfill publishes
thousands per range. Message ids make every publish safe to repeat:
`<tx_hash>:<log_index>:<block_hash>` for a log (the same log in the same block is the same
fact; after a reorg the same transaction in another block is a new one, and the stream's
two-minute duplicate window must not swallow it), with `:removed` for its rollback, and after
the first reorg `:<n>`, the number of reorgs rolled back so far (a log removed and then
restored by a second reorg is published again).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from json.encoder import encode_basestring

from pydantic import TypeAdapter

from ballast.common.bus import Bus
from ballast.common.messages import (
    SCHEMA_VERSION,
    EtfEvent,
    EtfEventKind,
    EtfMetrics,
    GovernanceProposal,
    StrategyParameterChanged,
    UtcDatetime,
)
from ballast.common.subjects import (
    ETF_METRICS,
    GOVERNANCE_PARAMETERS,
    GOVERNANCE_PROPOSALS,
    etf_event,
)
from ballast.contract_monitor.adapters.abi import args_json
from ballast.contract_monitor.domain.model import StoredLog
from ballast.strategy.onchain import from_wad, key_name

PARAMETER_CHANGED = "ParameterChanged"


def event_msg_id(s: StoredLog, removed: bool, epoch: int = 0) -> str:
    """`epoch` counts the reorgs rolled back so far (0: none, and no suffix)."""
    base = f"{s.log.tx_hash}:{s.log.log_index}:{s.log.block_hash}"
    if removed:
        base += ":removed"
    return f"{base}:{epoch}" if epoch else base


def etf_message(s: StoredLog, removed: bool, observed_at: datetime) -> EtfEvent:
    return EtfEvent(
        kind=EtfEventKind(s.kind), event_name=s.log.event_name, contract=s.log.address,
        tx_hash=s.log.tx_hash, log_index=s.log.log_index, block_number=s.log.block_number,
        block_hash=s.log.block_hash, args=s.log.args, removed=removed, observed_at=observed_at,
    )


_SUBJECTS = {k.value: etf_event(k.value) for k in EtfEventKind}
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}").fullmatch
_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}").fullmatch
_INSTANT = TypeAdapter(UtcDatetime)
_HEAD = (f'{{"schema_version":{SCHEMA_VERSION:d},"kind":"%s","event_name":%s,"contract":"%s",'
         '"tx_hash":"%s","log_index":%d,"block_number":%d,"block_hash":%s,"args":%s')


def etf_payloads(logs: Sequence[StoredLog], removed: bool, observed_at: datetime, epoch: int
                 ) -> list[tuple[bytes, str, str]]:
    """(JSON, subject, msg id) of each ETF log: the bytes `etf_message(...).model_dump_json()`
    gives, written field by field (a backfill's largest cost was the model: validation and
    serialisation per log). A log whose fields the model would refuse or whose text needs more
    than JSON escaping goes through the model, which raises as it did."""
    instant = _INSTANT.dump_json(_INSTANT.validate_python(observed_at)).decode()
    tail = f',"removed":{"true" if removed else "false"},"observed_at":{instant}}}'
    head, subjects, q = _HEAD + tail, _SUBJECTS, encode_basestring
    out: list[tuple[bytes, str, str]] = []
    for s in logs:
        log = s.log
        subject = subjects.get(s.kind)
        try:
            if (subject is None or log.log_index < 0 or log.block_number < 0
                    or not _ADDRESS(log.address) or not _TX_HASH(log.tx_hash)):
                raise ValueError
            data = (head % (s.kind, q(log.event_name), log.address, log.tx_hash, log.log_index,
                            log.block_number, q(log.block_hash),
                            log.args_json or args_json(log.args))).encode()
        except (ValueError, TypeError):  # UnicodeEncodeError is a ValueError
            data = etf_message(s, removed, observed_at).model_dump_json().encode()
            subject = etf_event(s.kind)
        out.append((data, subject, event_msg_id(s, removed, epoch)))
    return out


def parameter_message(s: StoredLog, removed: bool, observed_at: datetime
                      ) -> StrategyParameterChanged:
    new = int(s.log.args["newValue"])
    return StrategyParameterChanged(
        key=key_name(s.log.args["key"]), old_value=int(s.log.args["oldValue"]), new_value=new,
        value=from_wad(new), contract=s.log.address, tx_hash=s.log.tx_hash,
        log_index=s.log.log_index, block_number=s.log.block_number, block_hash=s.log.block_hash,
        removed=removed, observed_at=observed_at,
    )


class FactPublisher:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def etf_events(
        self, logs: Sequence[StoredLog], observed_at: datetime, *, removed: bool = False,
        epoch: int = 0,
    ) -> int:
        """Publish the ETF logs among `logs` in order; returns how many once the stream has
        acknowledged the last one (see the module docstring)."""
        etf = [s for s in logs if s.source == "etf"]
        if not etf:
            return 0
        await self.bus.publish_many(etf_payloads(etf, removed, observed_at, epoch))
        return len(etf)

    async def metrics(self, m: EtfMetrics, block_hash: str) -> None:
        await self.bus.publish(m, ETF_METRICS, msg_id=f"etf-metrics:{m.block_number}:{block_hash}")

    async def proposal(self, p: GovernanceProposal, msg_id: str) -> None:
        await self.bus.publish(p, GOVERNANCE_PROPOSALS, msg_id=msg_id)

    async def parameters(
        self, logs: Sequence[StoredLog], observed_at: datetime, *, removed: bool = False,
        epoch: int = 0,
    ) -> int:
        """Publish each StrategyParameters change among `logs`, in order; returns how many."""
        changes = [s for s in logs
                   if s.source == "governance" and s.log.event_name == PARAMETER_CHANGED]
        for s in changes:
            await self.bus.publish(parameter_message(s, removed, observed_at),
                                   GOVERNANCE_PARAMETERS, msg_id=event_msg_id(s, removed, epoch))
        return len(changes)
