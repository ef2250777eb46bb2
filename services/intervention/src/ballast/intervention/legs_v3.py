"""Liquidity actions on a concentrated-liquidity (Uniswap V3) pool, leg by leg (PSTR seed 6;
issue #18): where the deployment names a V3 pool, the position has a real range, the ±10% band
around the price (ballast.strategy.concentrated), and a rebalance moves it.

    liquidity_add        swap (to the band's ratio) -> add (mint the band as a position NFT)
    liquidity_rebalance  remove (decreaseLiquidity + collect + burn of every position the
                         treasury holds in the pool, one multicall)
                         -> swap (to the new band's ratio) -> add (mint the band around the
                         price now: the band restarts centred at the new price)

The legs are the V2 ones (legs.py, on composite.py's machinery): each its own exactly-once
execution `<action>.<leg>`, built only when the one before is confirmed, from that leg's
receipt. What differs is computed here:
`Liquidity` is the executor's Composite with the V3 specs, preview and position details, and
`leg_plan` / `leg_spending` send a V3 leg to the position manager or the V3 SwapRouter (a V2
leg goes on to legs.py). A V3 leg says so in its details (`dex: uniswap_v3`) and carries
everything its plan needs (the ticks are fixed when the leg is created, so a restart signs the
same mint). The add's ticks are those of the price when the add leg is created, after the swap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ballast.intervention import legs
from ballast.intervention.adapters import v3
from ballast.intervention.adapters.repository import Record
from ballast.intervention.composite import LegSpec, Progress
from ballast.intervention.domain.execution import amount_out_min
from ballast.intervention.domain.record import ExecKind
from ballast.intervention.legs import Composite, PoolConfig
from ballast.intervention.ports import ChainPort
from ballast.strategy.concentrated import (
    amounts_for_liquidity,
    balancing_swap,
    band_ticks,
    in_range,
    liquidity_for_amounts,
    needs_rebalance,
    price_of_sqrt,
    spot_out,
    sqrt_ratio_at_tick,
)

if TYPE_CHECKING:
    from ballast.intervention.building import ExecConfig, TxPlan

DEX = "uniswap_v3"


@dataclass(frozen=True)
class ConcentratedPool(PoolConfig):
    """A Uniswap V3 pool (`pair` is the pool's address) and the contracts that trade it."""

    fee: int
    tick_spacing: int
    position_manager: str
    router: str

    def details(self) -> dict[str, str]:
        return {
            "dex": DEX,
            "pair": self.pair,
            "token0": self.token0,
            "token1": self.token1,
            "fee": str(self.fee),
            "manager": self.position_manager,
            "router": self.router,
        }


def is_v3(record: Record) -> bool:
    return record.payload.get("details", {}).get("dex") == DEX


def sqrt_range(lower: int, upper: int) -> tuple[int, int]:
    return sqrt_ratio_at_tick(lower), sqrt_ratio_at_tick(upper)


def held_at(sqrt_price: int, lower: int, upper: int, desired: tuple[int, int]) -> tuple[int, int]:
    """What a mint of `desired` between the ticks takes at `sqrt_price`."""
    a, b = sqrt_range(lower, upper)
    return amounts_for_liquidity(
        sqrt_price, a, b, liquidity_for_amounts(sqrt_price, a, b, *desired)
    )


class Liquidity(Composite):
    """The Composite of legs.py, with V3 pools' legs computed here."""

    async def band(self, pool: ConcentratedPool) -> tuple[int, int, int]:
        """(sqrtPriceX96 now, tickLower, tickUpper of the band around the price now)."""
        sqrt_price, _ = await v3.slot0(self.ex.chain, pool.pair)
        return (sqrt_price, *band_ticks(price_of_sqrt(sqrt_price), pool.tick_spacing))

    async def held(self, pool: ConcentratedPool, owner: str) -> list[v3.Position]:
        return await v3.positions(
            self.ex.chain, pool.position_manager, owner, pool.token0, pool.token1, pool.fee
        )

    async def spec(self, record: Record, leg: str, progress: Progress) -> LegSpec:
        pool = self.pool(record)
        if not isinstance(pool, ConcentratedPool):
            return await super().spec(record, leg, progress)
        base = pool.details()
        if leg == "remove":  # every position the treasury holds in the pool
            held = await self.held(pool, self.ex.holder)
            if not held:
                raise ValueError("the treasury holds no position in this pool")
            return LegSpec(
                sum(p.liquidity for p in held),
                {
                    **base,
                    "positions": ";".join(
                        f"{p.token_id}:{p.tick_lower}:{p.tick_upper}:{p.liquidity}" for p in held
                    ),
                },
            )
        amount0, amount1 = self.available(record, pool, progress)
        sqrt_price, lower, upper = await self.band(pool)
        if leg == "swap":
            swap = balancing_swap(amount0, amount1, sqrt_price, *sqrt_range(lower, upper))
            if swap is None:
                return LegSpec(0, base, skipped="the two tokens are in the band's ratio")
            tokens = (
                (pool.token0, pool.token1) if swap.index_in == 0 else (pool.token1, pool.token0)
            )
            return LegSpec(swap.amount_in, {**base, "token_in": tokens[0], "token_out": tokens[1]})
        if amount0 <= 0 and amount1 <= 0:
            raise ValueError(f"nothing to add ({amount0}, {amount1})")
        return LegSpec(
            0,
            {
                **base,
                "amount0": str(amount0),
                "amount1": str(amount1),
                "tick_lower": str(lower),
                "tick_upper": str(upper),
            },
        )

    async def position_details(self, pool: PoolConfig, add: Record) -> dict[str, str]:
        if not isinstance(pool, ConcentratedPool):
            return await super().position_details(pool, add)
        d = add.payload["details"]
        minted = [
            p
            for p in await self.held(pool, self.ex.holder)
            if (p.tick_lower, p.tick_upper) == (int(d["tick_lower"]), int(d["tick_upper"]))
        ]
        found = {"dex": DEX, "tick_lower": d["tick_lower"], "tick_upper": d["tick_upper"]}
        if minted:
            found |= {"token_id": str(minted[-1].token_id), "liquidity": str(minted[-1].liquidity)}
        return found

    async def preview(self, record: Record) -> dict[str, str]:
        """Dry run: the band, what would be removed, swapped and minted at today's price."""
        pool = self.pool(record)
        if not isinstance(pool, ConcentratedPool):
            return await super().preview(record)
        sqrt_price, lower, upper = await self.band(pool)
        details = {
            "dex": DEX,
            "pool": pool.pair,
            "pair": str(record.payload["details"]["pair"]),
            "tick_lower": str(lower),
            "tick_upper": str(upper),
        }
        if record.execution.kind is ExecKind.LIQUIDITY_ADD:
            amounts = self.available(record, pool, Progress())
        else:
            owner = self.config.owner
            held = await self.held(pool, owner) if owner else []
            if not held:
                raise ValueError("the treasury holds no position in this pool")
            tick, price = await self.tick(pool), price_of_sqrt(sqrt_price)
            each = [
                amounts_for_liquidity(
                    sqrt_price, *sqrt_range(p.tick_lower, p.tick_upper), p.liquidity
                )
                for p in held
            ]
            amounts = (sum(a[0] for a in each), sum(a[1] for a in each))
            details |= {
                "token_ids": ",".join(str(p.token_id) for p in held),
                "liquidity_to_remove": str(sum(p.liquidity for p in held)),
                "in_range": str(
                    all(in_range(tick, p.tick_lower, p.tick_upper) for p in held)
                ).lower(),
                "needs_rebalance": str(
                    any(needs_rebalance(price, p.tick_lower, p.tick_upper) for p in held)
                ).lower(),
            }
        swap = balancing_swap(*amounts, sqrt_price, *sqrt_range(lower, upper))
        if swap is not None:
            details["swap_index_in"], details["swap_amount_in"] = (
                str(swap.index_in),
                str(swap.amount_in),
            )
            after = [amounts[0], amounts[1]]
            after[swap.index_in] -= swap.amount_in
            after[1 - swap.index_in] += spot_out(
                swap.amount_in, swap.index_in, sqrt_price, pool.fee
            )
            amounts = (after[0], after[1])
        add0, add1 = held_at(sqrt_price, lower, upper, amounts)
        details["amount0_to_add"], details["amount1_to_add"] = str(add0), str(add1)
        return details

    async def tick(self, pool: ConcentratedPool) -> int:
        return (await v3.slot0(self.ex.chain, pool.pair))[1]


# ---------------------------------------------------------------------- leg transactions
async def leg_plan(
    chain: ChainPort, config: ExecConfig, record: Record, account: str, deadline: int
) -> TxPlan:
    """The call of one leg: a V3 leg here, bounded by the slippage cap and a deadline; a V2 leg
    by legs.py."""
    if not is_v3(record):
        return await legs.leg_plan(chain, config, record, account, deadline)
    from ballast.intervention.building import TxPlan  # noqa: PLC0415 - import cycle

    kind, d, slip = record.execution.kind, record.payload["details"], config.max_slippage
    sqrt_price, _ = await v3.slot0(chain, d["pair"])
    fee, amount = int(d["fee"]), record.amount_in_raw
    if kind is ExecKind.LP_SWAP:
        index_in = 0 if d["token_in"].lower() == d["token0"].lower() else 1
        quoted = spot_out(amount, index_in, sqrt_price, fee)
        min_out = amount_out_min(quoted, slip)
        data = v3.swap_calldata(
            chain,
            d["router"],
            (d["token_in"], d["token_out"]),
            fee,
            amount,
            min_out,
            account,
            deadline,
        )
        return TxPlan(d["router"], data, d["token_in"], d["token_out"], quoted, min_out, deadline)
    if kind is ExecKind.LP_REMOVE:
        removals: list[tuple[int, int, tuple[int, int]]] = []
        for position in d["positions"].split(";"):
            token_id, lower, upper, liquidity = (int(x) for x in position.split(":"))
            expect = amounts_for_liquidity(sqrt_price, *sqrt_range(lower, upper), liquidity)
            removals.append(
                (
                    token_id,
                    liquidity,
                    (amount_out_min(expect[0], slip), amount_out_min(expect[1], slip)),
                )
            )
        data = v3.remove_calldata(chain, d["manager"], removals, account, deadline)
        return TxPlan(d["manager"], data, deadline=deadline)
    if kind is ExecKind.LP_ADD:
        ticks = (int(d["tick_lower"]), int(d["tick_upper"]))
        desired = (int(d["amount0"]), int(d["amount1"]))
        expect = held_at(sqrt_price, *ticks, desired)
        mins = (amount_out_min(expect[0], slip), amount_out_min(expect[1], slip))
        data = v3.mint_calldata(
            chain,
            d["manager"],
            (d["token0"], d["token1"], fee),
            ticks,
            desired,
            mins,
            account,
            deadline,
        )
        return TxPlan(d["manager"], data, deadline=deadline)
    raise ValueError(f"not a liquidity leg: {kind!r}")


def leg_spending(record: Record, router: str) -> list[tuple[str, int, str]]:
    """(token, amount, spender) a leg lets a contract take from the treasury: the approvals it
    needs first. A V3 remove needs none (the treasury owns the position NFT)."""
    d = record.payload["details"]
    if not is_v3(record):
        return [(token, amount, router) for token, amount in legs.leg_spending(record)]
    kind = record.execution.kind
    if kind is ExecKind.LP_SWAP:
        return [(d["token_in"], record.amount_in_raw, d["router"])]
    if kind is ExecKind.LP_ADD:
        return [
            (d["token0"], int(d["amount0"]), d["manager"]),
            (d["token1"], int(d["amount1"]), d["manager"]),
        ]
    return []
