"""Liquidity actions of several transactions, each leg exactly once (PSTR seed 6; issue #18).

    liquidity_add        swap (half the funding token into the other) -> add
    liquidity_rebalance  remove (all LP) -> swap (only if the two tokens are unbalanced) -> add

The action (the parent row) sends nothing itself. Each leg is its own execution row, id
`<action>.<leg>`, driven by the same exactly-once machinery as a swap (nonce, signed bytes
persisted before broadcast, receipt, confirmation). A leg is created only when the one before
it is confirmed, and its amounts come from that leg's receipt (the ERC-20 transfers it made),
never from balances read later: a process killed between two legs (after the remove, before the
add) finds the remove confirmed on restart, computes the same add from the same receipt, and
creates it under the same id, so nothing is done twice. A leg that is not needed (a balanced
position needs no swap) is recorded as skipped, so a restart does not reconsider it.

The action is published once, as one `automation.executed`, when its last leg is confirmed (or
as failed with the failing leg's reason; a failed remove leaves the position as it was, a failed
add leaves the tokens in the treasury, both reported).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    ExecutionMode,
    ExecutionStatus,
)
from ballast.intervention.adapters import pairs
from ballast.intervention.adapters.repository import Record
from ballast.intervention.domain.execution import TERMINAL, Phase, amount_out_min
from ballast.intervention.domain.record import ExecKind
from ballast.intervention.ports import ChainPort
from ballast.strategy.liquidity import balancing_swap, optimal_amounts, removed_amounts

if TYPE_CHECKING:
    from ballast.intervention.building import ExecConfig, TxPlan
    from ballast.intervention.executor import Executor

LEGS: dict[ExecKind, tuple[str, ...]] = {
    ExecKind.LIQUIDITY_ADD: ("swap", "add"),
    ExecKind.LIQUIDITY_REBALANCE: ("remove", "swap", "add"),
}


@dataclass(frozen=True)
class PoolConfig:
    """A configured pool: the pair and its two tokens, in the pair's order."""

    pair: str
    token0: str
    token1: str


@dataclass(frozen=True)
class LegSpec:
    amount_in_raw: int
    details: dict[str, str]
    skipped: str | None = None


@dataclass
class Progress:
    """The confirmed legs of one action, in order."""

    legs: dict[str, Record] = field(default_factory=dict[str, Record])


def leg_id(action_id: str, leg: str) -> str:
    return f"{action_id}.{leg}"


def moved(record: Record, token: str) -> tuple[int, int]:
    """(sent, received) of `token` by a confirmed leg, from its outcome."""
    details = (record.outcome or {}).get("details", {})
    key = token.lower()
    return int(details.get(f"sent:{key}", 0)), int(details.get(f"recv:{key}", 0))


class Composite:
    """Moves one liquidity action forward by its legs (see the module docstring)."""

    def __init__(self, executor: Executor) -> None:
        self.ex = executor

    @property
    def config(self) -> ExecConfig:
        return self.ex.config

    def pool(self, record: Record) -> PoolConfig:
        name = str(record.payload.get("details", {}).get("pair", ""))
        found = self.config.pools.get(name)
        if found is None:
            raise LookupError(f"pool {name!r} is not configured")
        return found

    async def advance(self, record: Record, *, paused: bool) -> bool:
        """One pass: drive the current leg, create the next, finish the action when all are
        confirmed. True when something terminal happened to the action."""
        repo, action = self.ex.repo, record.execution.decision_id
        progress = Progress()
        for leg in LEGS[record.execution.kind]:
            child = await repo.find(leg_id(action, leg))
            if child is None:
                if paused and not progress.legs:
                    return False  # nothing sent yet: a pause still holds it
                try:
                    spec = await self.spec(record, leg, progress)
                except (LookupError, ValueError) as err:
                    await self._fail(record, f"{leg}: {err}")
                    return True
                child = await self._create(record, leg, spec)
            if child.execution.phase not in TERMINAL:
                await self.ex.drive(child.execution.decision_id, paused=paused)
                child = await repo.load(child.execution.decision_id)
            if child.execution.phase is Phase.FAILED:
                reason = (child.outcome or {}).get("reason") or "failed"
                await self._fail(record, f"{leg}: {reason}")
                return True
            if child.execution.phase is not Phase.CONFIRMED:
                return False
            self.ex.crash(f"after_leg_{leg}")
            progress.legs[leg] = child
        await self._finish(record, progress)
        return True

    # ------------------------------------------------------------------ legs
    async def spec(self, record: Record, leg: str, progress: Progress) -> LegSpec:
        pool = self.pool(record)
        base = {"pair": pool.pair, "token0": pool.token0, "token1": pool.token1}
        if leg == "remove":
            lp = await self.ex.chain.balance_of(pool.pair, self.ex.account)
            if lp == 0:
                raise ValueError("the treasury holds no LP tokens of this pool")
            return LegSpec(lp, base)
        amount0, amount1 = self.available(record, pool, progress)
        if leg == "swap":
            state = await pairs.pair_state(self.ex.chain, pool.pair)
            swap = balancing_swap(amount0, amount1, state.reserve0, state.reserve1)
            if swap is None:
                return LegSpec(0, base, skipped="the two tokens are balanced at the pool price")
            token_in, token_out = ((pool.token0, pool.token1) if swap.index_in == 0
                                   else (pool.token1, pool.token0))
            return LegSpec(swap.amount_in, {"token_in": token_in, "token_out": token_out})
        if amount0 <= 0 or amount1 <= 0:
            raise ValueError(f"nothing to add ({amount0}, {amount1})")
        return LegSpec(0, {**base, "amount0": str(amount0), "amount1": str(amount1)})

    def available(self, record: Record, pool: PoolConfig, progress: Progress) -> tuple[int, int]:
        """The two token amounts the position is built from, from the confirmed legs' receipts
        (or the request's funding amount for a first add)."""
        if record.execution.kind is ExecKind.LIQUIDITY_ADD:
            details = record.payload.get("details", {})
            fund, index = int(details["fund_raw"]), int(details.get("fund_index", "0"))
            amounts = [fund, 0] if index == 0 else [0, fund]
        else:
            removed = progress.legs["remove"]
            amounts = [moved(removed, pool.token0)[1], moved(removed, pool.token1)[1]]
        swap = progress.legs.get("swap")
        if swap is not None:
            for i, token in enumerate((pool.token0, pool.token1)):
                sent, received = moved(swap, token)
                amounts[i] += received - sent
        return amounts[0], amounts[1]

    async def _create(self, record: Record, leg: str, spec: LegSpec) -> Record:
        repo, now = self.ex.repo, self.ex.clock()
        child_id = leg_id(record.execution.decision_id, leg)
        kind = AutomationKind(record.execution.kind)
        payload = AutomationAction(
            action_id=child_id, kind=kind, status=ExecutionStatus.DRY_RUN,
            mode=ExecutionMode.LIVE, amount_in_raw=spec.amount_in_raw, details=spec.details,
            executed_at=now,
        )
        await repo.create_automation(
            child_id, ExecKind(f"lp_{leg}"), strategy=record.execution.decision_id,
            mode=ExecutionMode.LIVE, now=now, amount_usd=Decimal(0),
            amount_in_raw=spec.amount_in_raw, payload=payload,
        )
        if spec.skipped is not None:
            child = await repo.load(child_id)
            outcome = self.ex.builder.outcome(now, child, ExecutionStatus.CONFIRMED,
                                              reason=f"skipped: {spec.skipped}")
            await repo.finalize(child_id, Phase.CONFIRMED, outcome)
        return await repo.load(child_id)

    # ------------------------------------------------------------------ the action's end
    async def _fail(self, record: Record, reason: str) -> None:
        outcome = self.ex.builder.outcome(self.ex.clock(), record, ExecutionStatus.FAILED,
                                          reason=reason[:500])
        await self.ex.repo.finalize(record.execution.decision_id, Phase.FAILED, outcome)

    async def _finish(self, record: Record, progress: Progress) -> None:
        pool = self.pool(record)
        details: dict[str, str] = {"pool": pool.pair,
                                   "pair": str(record.payload["details"]["pair"])}
        gas_used = gas_cost = 0
        last_tx, block = None, None
        for leg, child in progress.legs.items():
            out = child.outcome or {}
            if out.get("tx_hash"):
                last_tx, block = out["tx_hash"], child.execution.mined_block
                details[f"{leg}_tx"] = str(out["tx_hash"])
                used = int(out.get("details", {}).get("gas_used", 0))
                details[f"{leg}_gas_used"] = str(used)
                gas_used += used
                gas_cost += int(out.get("details", {}).get("gas_cost_wei", 0))
            else:
                details[f"{leg}_skipped"] = str(out.get("reason", "skipped"))
        add = progress.legs["add"]
        for i, token in enumerate((pool.token0, pool.token1)):
            details[f"amount{i}_added"] = str(moved(add, token)[0])
        details.update(await self.position_details(pool, add))
        details["gas_used"], details["gas_cost_wei"] = str(gas_used), str(gas_cost)
        details["block"] = str(block)
        outcome = self.ex.builder.outcome(self.ex.clock(), record, ExecutionStatus.CONFIRMED,
                                          tx_hash=last_tx, extra=details)
        await self.ex.repo.finalize(record.execution.decision_id, Phase.CONFIRMED, outcome)

    async def position_details(self, pool: PoolConfig, add: Record) -> dict[str, str]:
        """What the add left the treasury holding (legs_v3 overrides it for V3 pools)."""
        return {"lp_received": str(moved(add, pool.pair)[1])}

    # ------------------------------------------------------------------ paper mode
    async def preview(self, record: Record) -> dict[str, str]:
        """Dry run: what the legs would do at today's reserves (nothing signed)."""
        pool = self.pool(record)
        state = await pairs.pair_state(self.ex.chain, pool.pair)
        details = {"pool": pool.pair, "pair": str(record.payload["details"]["pair"])}
        if record.execution.kind is ExecKind.LIQUIDITY_ADD:
            amounts = self.available(record, pool, Progress())
        else:
            owner = self.config.owner
            lp = await self.ex.chain.balance_of(pool.pair, owner) if owner else 0
            details["lp_to_remove"] = str(lp)
            amounts = removed_amounts(lp, state.supply, state.reserve0, state.reserve1)
        swap = balancing_swap(amounts[0], amounts[1], state.reserve0, state.reserve1)
        if swap is not None:
            details["swap_index_in"], details["swap_amount_in"] = (str(swap.index_in),
                                                                  str(swap.amount_in))
            half = [amounts[0], amounts[1]]
            half[swap.index_in] -= swap.amount_in
            path = [pool.token0, pool.token1] if swap.index_in == 0 else [pool.token1,
                                                                         pool.token0]
            half[1 - swap.index_in] += await self.ex.chain.quote(
                self.config.router, swap.amount_in, path)
            amounts = (half[0], half[1])
        add0, add1 = optimal_amounts(amounts[0], amounts[1], state.reserve0, state.reserve1)
        details["amount0_to_add"], details["amount1_to_add"] = str(add0), str(add1)
        return details


# ---------------------------------------------------------------------- leg transactions
async def leg_plan(executor_chain: ChainPort, config: ExecConfig, record: Record,
                   account: str, deadline: int) -> TxPlan:
    """The router call of one leg, bounded by the slippage cap and a deadline."""
    from ballast.intervention.building import TxPlan  # noqa: PLC0415 - import cycle

    kind, d = record.execution.kind, record.payload["details"]
    slip = config.max_slippage
    if kind is ExecKind.LP_SWAP:
        path = [d["token_in"], d["token_out"]]
        quoted = await executor_chain.quote(config.router, record.amount_in_raw, path)
        min_out = amount_out_min(quoted, slip)
        data = executor_chain.swap_calldata(config.router, record.amount_in_raw, min_out, path,
                                            account, deadline)
        return TxPlan(config.router, data, path[0], path[1], quoted, min_out, deadline)
    state = await pairs.pair_state(executor_chain, d["pair"])
    tokens = (d["token0"], d["token1"])
    if kind is ExecKind.LP_ADD:
        desired = (int(d["amount0"]), int(d["amount1"]))
        expect = optimal_amounts(*desired, state.reserve0, state.reserve1)
        mins = (amount_out_min(expect[0], slip), amount_out_min(expect[1], slip))
        data = pairs.add_liquidity_calldata(executor_chain, config.router, tokens, desired, mins,
                                            account, deadline)
        return TxPlan(config.router, data, deadline=deadline)
    if kind is ExecKind.LP_REMOVE:
        expect = removed_amounts(record.amount_in_raw, state.supply, state.reserve0,
                                 state.reserve1)
        mins = (amount_out_min(expect[0], slip), amount_out_min(expect[1], slip))
        data = pairs.remove_liquidity_calldata(executor_chain, config.router, tokens,
                                               record.amount_in_raw, mins, account, deadline)
        return TxPlan(config.router, data, deadline=deadline)
    raise ValueError(f"not a liquidity leg: {kind!r}")


def leg_spending(record: Record) -> list[tuple[str, int]]:
    """What a leg lets the router take from the treasury: the approvals it needs first."""
    kind, d = record.execution.kind, record.payload["details"]
    if kind is ExecKind.LP_SWAP:
        return [(d["token_in"], record.amount_in_raw)]
    if kind is ExecKind.LP_ADD:
        return [(d["token0"], int(d["amount0"])), (d["token1"], int(d["amount1"]))]
    if kind is ExecKind.LP_REMOVE:
        return [(d["pair"], record.amount_in_raw)]
    return []
