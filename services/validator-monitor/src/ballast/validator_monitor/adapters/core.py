"""Reads of Core's system contracts at one pinned block, through their real view ABIs.

Everything of one snapshot is read at the same block (the confirmed head), so a snapshot is a
consistent picture even while blocks arrive. Calls run concurrently under a bound: a mainnet
poll is about 8 views per candidate, and public RPCs answer each in tens of milliseconds.

Address kinds (REFERENCE.md): CandidateHub, StakeHub and CoreAgent take the operator address,
ValidatorSet and SlashIndicator the consensus address; CandidateHub's candidate record holds
both, which is the map between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from eth_utils.address import to_checksum_address
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.contract import AsyncContract
from web3.exceptions import BadFunctionCallOutput, ContractLogicError

from ballast.validator_monitor.adapters import abis
from ballast.validator_monitor.domain.model import Snapshot, Thresholds, ValidatorReading

T = TypeVar("T")


@dataclass(frozen=True)
class CoreAddresses:
    """System contract addresses; Core's own by default (REFERENCE.md)."""

    validator_set: str = "0x0000000000000000000000000000000000001000"
    slash_indicator: str = "0x0000000000000000000000000000000000001001"
    candidate_hub: str = "0x0000000000000000000000000000000000001005"
    stake_hub: str = "0x0000000000000000000000000000000000001010"
    core_agent: str = "0x0000000000000000000000000000000000001011"


def connect(rpc_url: str, timeout: float = 10.0) -> AsyncWeb3[Any]:
    provider = AsyncHTTPProvider(rpc_url, request_kwargs={"timeout": timeout})
    return AsyncWeb3(provider)


@dataclass(frozen=True)
class _Candidate:
    operator: str
    consensus: str
    commission: int
    status: int
    last_change_round: int
    last_round_value: int


class CoreReader:
    """Snapshots of every candidate and validator; `delegator` is our StakingManager."""

    def __init__(
        self,
        w3: AsyncWeb3[Any],
        addresses: CoreAddresses,
        delegator: str | None = None,
        *,
        concurrency: int = 16,
    ) -> None:
        self.w3 = w3
        self.addresses = addresses
        self.delegator = to_checksum_address(delegator) if delegator else None
        self._limit = asyncio.Semaphore(concurrency)
        self.validator_set = self._contract("ValidatorSet", addresses.validator_set)
        self.candidate_hub = self._contract("CandidateHub", addresses.candidate_hub)
        self.slash_indicator = self._contract("SlashIndicator", addresses.slash_indicator)
        self.stake_hub = self._contract("StakeHub", addresses.stake_hub)
        self.core_agent = self._contract("CoreAgent", addresses.core_agent)
        self.candidate_map_available: bool | None = None

    def _contract(self, abi: str, address: str) -> AsyncContract:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=abis.load(abi))

    async def _call(self, awaitable: Awaitable[T]) -> T:
        async with self._limit:
            return await awaitable

    async def close(self) -> None:
        """Close the HTTP session of the provider (aiohttp warns about an unclosed one)."""
        provider = self.w3.provider
        if isinstance(provider, AsyncHTTPProvider):
            await provider.disconnect()

    async def chain_id(self) -> int:
        return int(await self.w3.eth.chain_id)

    async def head(self) -> int:
        return int(await self.w3.eth.block_number)

    async def snapshot(self, block: int) -> Snapshot:
        at: dict[str, Any] = {"block_identifier": block}
        hub, vs, slash = self.candidate_hub, self.validator_set, self.slash_indicator
        header, round_, misdemeanor, felony, ops, validator_ops = await asyncio.gather(
            self._call(self.w3.eth.get_block(block)),
            self._call(hub.functions.getRoundTag().call(**at)),
            self._call(slash.functions.misdemeanorThreshold().call(**at)),
            self._call(slash.functions.felonyThreshold().call(**at)),
            self._call(hub.functions.getCandidates().call(**at)),
            self._call(vs.functions.getValidatorOps().call(**at)),
        )
        candidates: list[_Candidate] = list(await asyncio.gather(
            *(self._candidate(i, at) for i in range(len(ops)))
        ))
        current = await asyncio.gather(
            *(self._call(vs.functions.currentValidatorSet(j).call(**at))
              for j in range(len(validator_ops)))
        )
        in_set: dict[str, tuple[str, int, int]] = {
            str(to_checksum_address(v[0])): (str(to_checksum_address(v[1])), int(v[3]), int(v[4]))
            for v in current
        }
        by_op: dict[str, _Candidate] = {c.operator: c for c in candidates}
        operators = list(by_op) + [op for op in in_set if op not in by_op]
        readings = await asyncio.gather(
            *(self._reading(op, by_op.get(op), in_set.get(op), at) for op in operators)
        )
        return Snapshot(
            block=block,
            timestamp=datetime.fromtimestamp(int(header.get("timestamp", 0)), UTC),
            round=int(round_),
            thresholds=Thresholds(int(misdemeanor), int(felony)),
            validators={r.operator: r for r in readings},
        )

    async def _candidate(self, index: int, at: dict[str, Any]) -> _Candidate:
        c = await self._call(self.candidate_hub.functions.candidateSet(index).call(**at))
        return _Candidate(str(to_checksum_address(c[0])), str(to_checksum_address(c[1])), int(c[3]),
                          int(c[5]), int(c[6]), int(c[7]))

    async def _reading(
        self,
        op: str,
        cand: _Candidate | None,
        validator: tuple[str, int, int] | None,
        at: dict[str, Any],
    ) -> ValidatorReading:
        consensus = cand.consensus if cand else (validator[0] if validator else None)
        jail, scores, total, ours, missed = await asyncio.gather(
            self._call(self.candidate_hub.functions.jailMap(op).call(**at)),
            self._call(self.stake_hub.functions.getCandidateScores(op).call(**at)),
            self._total_delegated(op, at),
            self._our_delegation(op, at),
            self._missed(consensus, at),
        )
        return ValidatorReading(
            operator=op,
            consensus=consensus,
            status_bits=cand.status if cand else 0,
            commission_thousandths=cand.commission if cand else (validator[1] if validator else 0),
            commission_last_change_round=cand.last_change_round if cand else 0,
            commission_last_round_value=cand.last_round_value if cand else 0,
            effective_commission_thousandths=validator[1] if validator else None,
            jailed_until_round=int(jail) or None,
            in_validator_set=validator is not None,
            missed_blocks=missed,
            income_raw=validator[2] if validator else 0,
            total_delegated_raw=total,
            our_delegation_raw=ours[1],
            our_staked_raw=ours[0],
            score_total=int(scores[0]) if len(scores) > 0 else 0,
            score_core=int(scores[1]) if len(scores) > 1 else 0,
        )

    async def _missed(self, consensus: str | None, at: dict[str, Any]) -> int:
        if consensus is None:
            return 0
        _height, count = await self._call(
            self.slash_indicator.functions.getSlashIndicator(consensus).call(**at))
        return int(count)

    async def _total_delegated(self, op: str, at: dict[str, Any]) -> int | None:
        """CoreAgent.candidateMap(op).realtimeAmount; None where the agent lacks the view (a
        stand-in that only implements the delegation entry points)."""
        if self.candidate_map_available is False:
            return None
        try:
            _amount, realtime = await self._call(
                self.core_agent.functions.candidateMap(op).call(**at))
        except (ContractLogicError, BadFunctionCallOutput):
            self.candidate_map_available = False
            return None
        self.candidate_map_available = True
        return int(realtime)

    async def _our_delegation(self, op: str, at: dict[str, Any]) -> tuple[int, int]:
        """(stakedAmount, realtimeAmount) of our StakingManager at `op`; zeros without one."""
        if self.delegator is None:
            return 0, 0
        d = await self._call(self.core_agent.functions.getDelegator(op, self.delegator).call(**at))
        return int(d[0]), int(d[1])
