"""The executor under custody (issue 21): the bot's calls go through the Safe's Roles modifier.

With `ExecConfig.custody` the Builder's calls are made for the Safe (the recipient, the balances
and allowances read) and each transaction the bot signs is
`Roles.execTransactionWithRole(to, 0, data, Call, role, true)` to the modifier. Before a nonce is
spent, `guard` decides what happens to a planned call:

- an intervention whose PUMP is above what the role's daily allowances hold today (the PUMP sold,
  the swaps made; `allowances(key)` on the modifier, refilled as the modifier refills it) becomes
  a Safe transaction proposal for the owners (ballast.common.proposals, the decision id as the
  idempotency key), and the execution ends FAILED "proposed to the Safe: <id>": nothing is sent;
- a call outside the role ends FAILED "refused: outside the bot's role: ...", nothing sent: the
  role is the one the deployer applied (ballast.devnet.bot_role from the strategy settings and
  the configured targets, with the modifier's own allowance ceilings: every allowance the plan
  names, the balancing swaps' per-token ones too), checked by
  ballast.common.evm.roles.refusal as the modifier checks it;
- a position manager `multicall` (the V3 remove) becomes a batch to MultiSendCallOnly, which
  the modifier unwraps and checks call by call (`batched`): decreaseLiquidity, collect to the
  Safe, burn: each in the role; the Safe delegate-calls the batch, which makes only calls;
- anything else is wrapped for the modifier and sent.

Nonce fillers stay plain transactions of the bot's own account (they move nothing).

This module (with the Safe client and ballast.devnet's role it imports, ~1 s of CPU) is
imported only when custody is configured (executor.py, main.py): an executor without custody
starts as fast as before, so its durable consumers exist before the other services' first
requests (a request published before the consumer exists is not delivered to it).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ballast.common.evm.abi import function
from ballast.common.evm.multisend import CALL, DELEGATE_CALL, from_multicall, pack
from ballast.common.evm.multisend import refusal as batch_refusal
from ballast.common.evm.roles import Allowance, RolePlan, bytes32, refusal
from ballast.common.messages import ExecutionStatus
from ballast.common.proposals.chain import SafeOnChain
from ballast.common.proposals.store import ProposalStore
from ballast.devnet.bot_role import (
    ALLOWANCE_KEYS,
    PUMP_PER_DAY,
    SWAPS_PER_DAY,
    Targets,
    bot_role,
)
from ballast.intervention.adapters.repository import Record
from ballast.intervention.building import Builder, ExecConfig, TxPlan
from ballast.intervention.domain.custody import AllowanceState, CustodyConfig, accrued
from ballast.intervention.domain.execution import Execution, Phase
from ballast.intervention.domain.record import ExecKind
from ballast.intervention.legs import PoolConfig
from ballast.intervention.legs_v3 import ConcentratedPool
from ballast.intervention.ports import ChainPort
from ballast.strategy.liquidity import LIQUIDITY_POOLS

if TYPE_CHECKING:
    from ballast.intervention.sending import Steps

EXEC_WITH_ROLE = "execTransactionWithRole(address,uint256,bytes,uint8,bytes32,bool)"
ROLES_ABI = [function("allowances", "bytes32 key", "uint128 refill, uint128 maxRefill, "
                      "uint64 period, uint128 balance, uint64 timestamp")]
PROPOSAL_DEADLINE_SECONDS = 86_400
"""A proposal's swap deadline: the owners have a day to sign and execute it."""
UNWRAPPED = frozenset({ExecKind.NONCE_FILL})


def with_role(custody: CustodyConfig, plan: TxPlan) -> TxPlan:
    """`plan` as the bot sends it: to the modifier, the call inside execTransactionWithRole (a
    batch to MultiSendCallOnly is delegate-called by the Safe, as multiSend must be)."""
    operation = DELEGATE_CALL if _is_batch(custody, plan) else CALL
    data = keccak(text=EXEC_WITH_ROLE)[:4] + encode(
        ["address", "uint256", "bytes", "uint8", "bytes32", "bool"],
        [to_checksum_address(plan.to), 0, plan.data, operation, bytes32(custody.role), True])
    return replace(plan, to=custody.roles, data=data)


def batched(custody: CustodyConfig, plan: TxPlan) -> TxPlan:
    """A `multicall` (the V3 remove: decreaseLiquidity, collect, burn) as a MultiSendCallOnly
    batch of the same calls, which the modifier checks one by one (a multicall it cannot look
    into: the role has none); any other plan, or no MultiSendCallOnly configured, as it is."""
    calls = from_multicall(plan.to, plan.data)
    if custody.multisend is None or calls is None:
        return plan
    return replace(plan, to=custody.multisend, data=pack(calls))


def _is_batch(custody: CustodyConfig, plan: TxPlan) -> bool:
    return custody.multisend is not None and plan.to.lower() == custody.multisend.lower()


def targets_for(config: ExecConfig) -> Targets:
    """What the role reaches, from the executor's configuration (as bot_role.targets does from
    the deployment file the configuration was filled from)."""
    pools = tuple((p.pair, p.token0, p.token1) for name in LIQUIDITY_POOLS
                  if isinstance(p := config.pools.get(name), PoolConfig))
    v3 = [p for p in config.pools.values() if isinstance(p, ConcentratedPool)]
    quote = config.accumulate_token
    return Targets(router=config.router, pump=config.pump, pstr=config.pstr, pools=pools,
                   basket=config.basket,
                   accumulate=(quote, *config.accumulate_via, config.pump) if quote else (),
                   position_manager=v3[0].position_manager if v3 else None,
                   v3_pools=tuple((p.token0, p.token1, p.fee) for p in v3),
                   v3_router=v3[0].router if v3 else None)


class Custody:
    def __init__(self, chain: ChainPort, config: ExecConfig, custody: CustodyConfig,
                 proposals: ProposalStore) -> None:
        self.chain = chain
        self.config = config
        self.custody = custody
        self.proposals = proposals
        self.safe = SafeOnChain(chain.w3, custody.safe)

    async def allowance(self, key: bytes) -> AllowanceState:
        roles = self.chain.w3.eth.contract(address=to_checksum_address(self.custody.roles),
                                           abi=ROLES_ABI)
        return AllowanceState(*(int(v) for v in await roles.functions.allowances(key).call()))

    def role_plan(self, bot: str, ceilings: dict[bytes, AllowanceState] | None) -> RolePlan:
        """The deployed role: bot_role over the configured targets, the ceilings the chain has
        (None: the plan's own allowance keys, their ceilings not yet read)."""
        plan = bot_role(self.config.params, targets_for(self.config), bot, 0)
        if ceilings is None:
            return plan
        return replace(plan, allowances=tuple(
            Allowance(a.key, ceilings[a.key].max_refill, a.period) for a in plan.allowances
            if a.key in ceilings))

    async def guard(self, steps: Steps, record: Record, plan: TxPlan) -> TxPlan | None:
        """The plan to sign (wrapped for the modifier), or None: the execution has ended."""
        ex = record.execution
        if ex.kind in UNWRAPPED:
            return plan
        keys = {*ALLOWANCE_KEYS, *(a.key for a in self.role_plan(steps.account, None).allowances)}
        ceilings = {k: await self.allowance(k) for k in keys}
        _, now, _ = await self.chain.latest_block()
        pump_left, swaps_left = (accrued(ceilings[k], now) for k in (PUMP_PER_DAY, SWAPS_PER_DAY))
        if ex.kind is ExecKind.INTERVENTION and (
                record.amount_in_raw > pump_left or swaps_left < 1 or await self._proposed(ex)):
            # proposed already (a restart between the proposal and the record): never also sent
            why = (f"{record.amount_in_raw} PUMP above the bot's daily allowance ({pump_left} "
                   f"left, {swaps_left} swap(s) left)")
            await self._propose(steps, record, why)
            return None
        role, plan = self.role_plan(steps.account, ceilings), batched(self.custody, plan)
        why = (batch_refusal(role, self.custody.safe, plan.data) if _is_batch(self.custody, plan)
               else refusal(role, self.custody.safe, plan.to, plan.data))
        if why is not None:
            await self._end(steps, record, f"refused: outside the bot's role: {why}"[:500])
            return None
        return with_role(self.custody, plan)

    async def _proposed(self, ex: Execution) -> bool:
        return await self.proposals.db.fetchval(
            "SELECT 1 FROM safe_proposals WHERE decision_id = $1", ex.decision_id) is not None

    async def _propose(self, steps: Steps, record: Record, why: str) -> None:
        ex = record.execution
        long = replace(self.config, deadline_seconds=PROPOSAL_DEADLINE_SECONDS)
        plan = await Builder(self.chain, long).plan(record, self.custody.safe)
        proposal = await self.proposals.propose(
            self.safe, to=plan.to, value=0, data=plan.data, reason=why,
            decision_id=ex.decision_id, proposed_by=steps.account)
        steps.crash("after_propose")
        m = proposal.message
        await self._end(steps, record, f"proposed to the Safe: {m.proposal_id} ({why})",
                        extra={"safe_proposal_id": m.proposal_id,
                               "safe_tx_hash": m.safe_tx_hash, "safe_nonce": str(m.nonce)},
                        quoted=plan.quoted_out or 0, min_out=plan.min_out or 0)

    async def _end(self, steps: Steps, record: Record, reason: str, *,
                   extra: dict[str, str] | None = None, quoted: int = 0, min_out: int = 0) -> None:
        """FAILED with `reason`, the reserved nonce released: nothing was signed."""
        outcome = steps.builder.outcome(steps.clock(), record, ExecutionStatus.FAILED,
                                        reason=reason, extra=extra, quoted_out=quoted,
                                        min_out=min_out)
        await steps.repo.finalize(record.execution.decision_id, Phase.FAILED, outcome,
                                  release_nonce=True)
