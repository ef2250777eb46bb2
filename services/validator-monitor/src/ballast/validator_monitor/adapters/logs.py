"""Log polling of the watched Core events between two confirmed blocks.

The cursor lives in Postgres (repository.py) and only ever advances to a block that is
`confirmations` deep, so a reorg shallower than that never reaches us. Ranges are fetched in
chunks of at most `max_range` blocks (public RPCs cap eth_getLogs ranges).

Watched (REFERENCE.md): CandidateHub statusChanged/turnedRound, ValidatorSet validatorSetUpdated/
validatorMisdemeanor/validatorFelony, SlashIndicator validatorSlashed, and CoreAgent
delegatedCoin/undelegatedCoin/transferredCoin of our delegator only (filtered by topic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.types import FilterParams, LogReceipt

from ballast.validator_monitor.adapters.core import CoreReader

SYSTEM_EVENTS: dict[str, tuple[str, ...]] = {
    "CandidateHub": ("statusChanged", "turnedRound"),
    "ValidatorSet": ("validatorSetUpdated", "validatorMisdemeanor", "validatorFelony"),
    "SlashIndicator": ("validatorSlashed",),
}
DELEGATOR_EVENTS = ("delegatedCoin", "undelegatedCoin", "transferredCoin")


@dataclass(frozen=True)
class RawEvent:
    """A decoded log; addresses checksummed, integers as int."""

    name: str
    address: str
    block: int
    log_index: int
    tx_hash: str
    args: dict[str, int | str]


def _topic(w3: AsyncWeb3[Any], contract: AsyncContract, name: str) -> HexBytes:
    event = contract.events[name]
    return HexBytes(w3.keccak(text=event.signature))  # pyright: ignore[reportUnknownMemberType]


def _address_topic(address: str) -> HexBytes:
    return HexBytes(bytes(12) + bytes.fromhex(address.removeprefix("0x")))


class LogReader:
    def __init__(self, core: CoreReader, *, max_range: int = 2000) -> None:
        self.core = core
        self.w3 = core.w3
        self.max_range = max_range
        contracts = {"CandidateHub": core.candidate_hub, "ValidatorSet": core.validator_set,
                     "SlashIndicator": core.slash_indicator}
        self._by_topic: dict[bytes, tuple[AsyncContract, str]] = {}
        for cname, names in SYSTEM_EVENTS.items():
            for name in names:
                self._by_topic[bytes(_topic(self.w3, contracts[cname], name))] = (
                    contracts[cname], name)
        for name in DELEGATOR_EVENTS:
            self._by_topic[bytes(_topic(self.w3, core.core_agent, name))] = (core.core_agent, name)
        self._system = [c.address for c in contracts.values()]

    def _filters(self, start: int, end: int) -> list[FilterParams]:
        system_topics = [HexBytes(t) for t, (c, _) in self._by_topic.items()
                         if c.address in self._system]
        filters: list[FilterParams] = [{
            "fromBlock": start, "toBlock": end, "address": self._system,
            "topics": [system_topics],
        }]
        delegator = self.core.delegator
        if delegator is not None:
            agent = self.core.core_agent
            who = _address_topic(delegator)
            filters.append({
                "fromBlock": start, "toBlock": end, "address": agent.address,
                "topics": [[_topic(self.w3, agent, "delegatedCoin"),
                            _topic(self.w3, agent, "undelegatedCoin")], None, who],
            })
            filters.append({
                "fromBlock": start, "toBlock": end, "address": agent.address,
                "topics": [_topic(self.w3, agent, "transferredCoin"), None, None, who],
            })
        return filters

    async def fetch(self, first: int, last: int) -> list[RawEvent]:
        """Every watched log in blocks [first, last], in chain order."""
        found: list[RawEvent] = []
        start = first
        while start <= last:
            end = min(last, start + self.max_range - 1)
            for params in self._filters(start, end):
                for log in await self.w3.eth.get_logs(params):
                    event = self._decode(log)
                    if event is not None:
                        found.append(event)
            start = end + 1
        found.sort(key=lambda e: (e.block, e.log_index))
        return found

    def _decode(self, log: LogReceipt) -> RawEvent | None:
        topics: Sequence[bytes] = log["topics"]
        if not topics:
            return None
        known = self._by_topic.get(bytes(topics[0]))
        if known is None:
            return None
        contract, name = known
        decoded = contract.events[name]().process_log(log)
        args: dict[str, int | str] = {}
        for key, value in decoded["args"].items():
            args[key] = to_checksum_address(value) if isinstance(value, str) else int(value)
        return RawEvent(name, to_checksum_address(log["address"]), int(log["blockNumber"]),
                        int(log["logIndex"]), "0x" + bytes(log["transactionHash"]).hex(), args)
