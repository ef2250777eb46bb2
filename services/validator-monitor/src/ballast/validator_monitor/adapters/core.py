"""Reads of Core's system contracts at one pinned block, through their real view ABIs.

Everything of one snapshot is read at the same block (the confirmed head), so a snapshot is a
consistent picture even while blocks arrive. The views are read in three batches (globals; the
candidate and validator records; the per-operator views), each one Multicall3 call where the
chain has it (calls.py).

Address kinds (REFERENCE.md): CandidateHub, StakeHub and CoreAgent take the operator address,
ValidatorSet and SlashIndicator the consensus address; CandidateHub's candidate record holds
both, which is the map between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_utils.address import to_checksum_address
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.contract import AsyncContract

from ballast.common.evm import provider
from ballast.validator_monitor.adapters import abis
from ballast.validator_monitor.adapters.calls import MULTICALL3, Call, Caller
from ballast.validator_monitor.domain.model import Snapshot, Thresholds, ValidatorReading


@dataclass(frozen=True)
class CoreAddresses:
    """System contract addresses; Core's own by default (REFERENCE.md)."""

    validator_set: str = "0x0000000000000000000000000000000000001000"
    slash_indicator: str = "0x0000000000000000000000000000000000001001"
    candidate_hub: str = "0x0000000000000000000000000000000000001005"
    stake_hub: str = "0x0000000000000000000000000000000000001010"
    core_agent: str = "0x0000000000000000000000000000000000001011"


def connect(rpc_url: str, timeout: float = 10.0) -> AsyncWeb3[Any]:
    return provider.connect(rpc_url, timeout)


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
        multicall: str | None = MULTICALL3,
        concurrency: int = 16,
    ) -> None:
        self.w3 = w3
        self.addresses = addresses
        self.delegator = str(to_checksum_address(delegator)) if delegator else None
        self.calls = Caller(w3, multicall, concurrency=concurrency)
        self.validator_set = self._contract("ValidatorSet", addresses.validator_set)
        self.candidate_hub = self._contract("CandidateHub", addresses.candidate_hub)
        self.slash_indicator = self._contract("SlashIndicator", addresses.slash_indicator)
        self.stake_hub = self._contract("StakeHub", addresses.stake_hub)
        self.core_agent = self._contract("CoreAgent", addresses.core_agent)

    def _contract(self, abi: str, address: str) -> AsyncContract:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=abis.load(abi))

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
        hub, vs, slash = self.candidate_hub, self.validator_set, self.slash_indicator
        header = await self.w3.eth.get_block(block)
        round_, misdemeanor, felony, ops, validator_ops = await self.calls.run([
            Call(hub, "getRoundTag"), Call(slash, "misdemeanorThreshold"),
            Call(slash, "felonyThreshold"), Call(hub, "getCandidates"),
            Call(vs, "getValidatorOps"),
        ], block)
        records = await self.calls.run(
            [Call(hub, "candidateSet", (i,)) for i in range(len(ops))]
            + [Call(vs, "currentValidatorSet", (j,)) for j in range(len(validator_ops))],
            block,
        )
        candidates = [
            _Candidate(str(to_checksum_address(c[0])), str(to_checksum_address(c[1])), int(c[3]),
                       int(c[5]), int(c[6]), int(c[7]))
            for c in records[: len(ops)]
        ]
        listed = [str(to_checksum_address(op)) for op in ops]
        if [c.operator for c in candidates] != listed:
            raise RuntimeError(f"block {block}: getCandidates() and candidateSet(i) disagree")
        in_set: dict[str, tuple[str, int, int]] = {
            str(to_checksum_address(v[0])): (str(to_checksum_address(v[1])), int(v[3]), int(v[4]))
            for v in records[len(ops):]
        }
        by_op: dict[str, _Candidate] = {c.operator: c for c in candidates}
        operators = list(by_op) + [op for op in in_set if op not in by_op]
        consensus = {op: by_op[op].consensus if op in by_op else in_set[op][0]
                     for op in operators}
        per_op = await self.calls.run(
            [call for op in operators for call in self._views(op, consensus[op])], block)
        width = 5 if self.delegator else 4
        readings = [
            self._reading(op, consensus[op], by_op.get(op), in_set.get(op),
                          per_op[k * width:(k + 1) * width])
            for k, op in enumerate(operators)
        ]
        return Snapshot(
            block=block,
            timestamp=datetime.fromtimestamp(int(header.get("timestamp", 0)), UTC),
            round=int(round_),
            thresholds=Thresholds(int(misdemeanor), int(felony)),
            validators={r.operator: r for r in readings},
        )

    def _views(self, op: str, consensus: str) -> list[Call]:
        views = [
            Call(self.candidate_hub, "jailMap", (op,)),
            Call(self.stake_hub, "getCandidateScores", (op,)),
            Call(self.slash_indicator, "getSlashIndicator", (consensus,)),
            # candidateMap is optional: a CoreAgent stand-in may implement only delegation
            Call(self.core_agent, "candidateMap", (op,), optional=True),
        ]
        if self.delegator:
            views.append(Call(self.core_agent, "getDelegator", (op, self.delegator)))
        return views

    def _reading(
        self,
        op: str,
        consensus: str,
        cand: _Candidate | None,
        validator: tuple[str, int, int] | None,
        views: list[Any],
    ) -> ValidatorReading:
        jail, scores, indicator, totals = views[:4]
        ours = views[4] if len(views) > 4 else (0, 0, 0, 0)
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
            missed_blocks=int(indicator[1]),
            income_raw=validator[2] if validator else 0,
            total_delegated_raw=int(totals[1]) if totals is not None else None,
            our_delegation_raw=int(ours[1]),
            our_staked_raw=int(ours[0]),
            score_total=int(scores[0]) if len(scores) > 0 else 0,
            score_core=int(scores[1]) if len(scores) > 1 else 0,
        )
