"""Liquidity actions of several transactions, each leg exactly once (PSTR seed 6; issue #18).

    liquidity_add        swap (half the funding token into the other) -> add
    liquidity_rebalance  remove (all LP) -> swap (only if the two tokens are unbalanced) -> add

Each leg is its own execution (composite.py). A leg's amounts come from the leg before it (the
ERC-20 transfers its receipt shows), never from balances read later: a process killed between
two legs (after the remove, before the add) computes the same add from the same receipt. A
balanced position needs no swap: that leg is recorded as skipped.

A failed remove leaves the position as it was, a failed add leaves the tokens in the treasury,
both reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ballast.intervention.adapters import pairs
from ballast.intervention.adapters.repository import Record
from ballast.intervention.composite import Legged, LegSpec, Progress, moved
from ballast.intervention.domain.execution import amount_out_min
from ballast.intervention.domain.record import ExecKind
from ballast.intervention.ports import ChainPort
from ballast.strategy.liquidity import balancing_swap, optimal_amounts, removed_amounts

if TYPE_CHECKING:
    from ballast.intervention.building import ExecConfig, TxPlan


@dataclass(frozen=True)
class PoolConfig:
    """A configured pool: the pair and its two tokens, in the pair's order."""

    pair: str
    token0: str
    token1: str


class Composite(Legged):
    """Moves one liquidity action forward by its legs (see the module docstring)."""

    LEGS: ClassVar[dict[ExecKind, tuple[str, ...]]] = {
        ExecKind.LIQUIDITY_ADD: ("swap", "add"),
        ExecKind.LIQUIDITY_REBALANCE: ("remove", "swap", "add"),
    }
    LEG_KINDS: ClassVar[dict[str, ExecKind]] = {
        "swap": ExecKind.LP_SWAP, "add": ExecKind.LP_ADD, "remove": ExecKind.LP_REMOVE}

    def pool(self, record: Record) -> PoolConfig:
        name = str(record.payload.get("details", {}).get("pair", ""))
        found = self.config.pools.get(name)
        if found is None:
            raise LookupError(f"pool {name!r} is not configured")
        return found

    # ------------------------------------------------------------------ legs
    async def spec(self, record: Record, leg: str, progress: Progress) -> LegSpec:
        pool = self.pool(record)
        base = {"pair": pool.pair, "token0": pool.token0, "token1": pool.token1}
        if leg == "remove":
            lp = await self.ex.chain.balance_of(pool.pair, self.ex.holder)
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

    # ------------------------------------------------------------------ the action's end
    async def summary(self, record: Record, progress: Progress) -> dict[str, str]:
        pool = self.pool(record)
        details = {"pool": pool.pair, "pair": str(record.payload["details"]["pair"])}
        add = progress.legs["add"]
        for i, token in enumerate((pool.token0, pool.token1)):
            details[f"amount{i}_added"] = str(moved(add, token)[0])
        details.update(await self.position_details(pool, add))
        return details

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
        data = pairs.balancing_swap_calldata(executor_chain, config.router, record.amount_in_raw,
                                             min_out, path, account, deadline)
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
