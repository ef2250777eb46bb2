"""The StakeBasket's asset rebalance: its CORE/BTC split back to target (StakeBasket seed phase 2
"Rebalance if needed (>10% deviation)"; issue #18), three legs, each exactly once (composite.py):

    recall  recallLiquidity of the sold asset, when free liquidity is short of the trade plus
            the buffer that asset keeps (skipped otherwise)
    swap    swapAssets(sold, amountIn, minOut, deadline) through the basket's router: minOut is
            the router's quote less the slippage cap (the contract also holds it within its
            tolerance of the oracle)
    deploy  deployLiquidity of the bought asset above its buffer (skipped when there is none)

The side sold is fixed when the action starts (the recall leg's details); every amount is sized
at signing, from the chain, by ballast.strategy.assets and ballast.strategy.basket. A leg is
signed once (its bytes persisted before broadcast), and what it finds at signing reflects the
legs before it, so a restart between legs neither repeats nor skips a move. Should the split no
longer call for the trade when a leg is signed (a deposit or a price move got there first), the
leg ends "not needed" and the action reports it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes

from ballast.intervention.adapters import basket as books
from ballast.intervention.adapters.repository import Record
from ballast.intervention.composite import Legged, LegSpec, Progress, leg_details
from ballast.intervention.domain.execution import Execution, amount_out_min
from ballast.intervention.domain.record import ExecKind
from ballast.intervention.ports import ChainPort
from ballast.strategy import assets
from ballast.strategy.assets import Asset, AssetPlan
from ballast.strategy.basket import to_stake

if TYPE_CHECKING:
    from ballast.intervention.building import ExecConfig, TxPlan


def _basket(config: ExecConfig) -> str:
    if config.basket is None:
        raise LookupError("asset_rebalance needs the StakeBasket address configured")
    return config.basket


def _amounts(asset: Asset, amount: int) -> tuple[int, int]:
    return (amount, 0) if asset is Asset.CORE else (0, amount)


async def current_plan(
    chain: ChainPort, config: ExecConfig
) -> tuple[books.AssetState, AssetPlan | None]:
    state = await books.asset_state(chain, _basket(config))
    plan = assets.plan(
        state.core,
        state.btc,
        state.prices,
        state.target_core_bps,
        config.params,
        config.buffer_share,
    )
    return state, plan


def state_drift(state: books.AssetState) -> Decimal:
    core, btc = (
        assets.value_usd(state.book(a), price, a.decimals)
        for a, price in zip(Asset, state.prices, strict=True)
    )
    return assets.drift(core, btc, state.target_core_bps)


class AssetRebalance(Legged):
    LEGS: ClassVar[dict[ExecKind, tuple[str, ...]]] = {
        ExecKind.ASSET_REBALANCE: ("recall", "swap", "deploy")
    }
    LEG_KINDS: ClassVar[dict[str, ExecKind]] = {
        "recall": ExecKind.ASSET_RECALL,
        "swap": ExecKind.ASSET_SWAP,
        "deploy": ExecKind.ASSET_DEPLOY,
    }

    async def advance(self, record: Record, *, paused: bool) -> bool:
        """Nothing starts while a StakeBasket mover decided earlier is unfinished."""
        started = await self.ex.repo.find(f"{record.execution.decision_id}.recall")
        if started is None and await self.ex.basket_busy(record):
            return False
        return await super().advance(record, paused=paused)

    async def spec(self, record: Record, leg: str, progress: Progress) -> LegSpec:
        if leg == "recall":
            _, plan = await current_plan(self.ex.chain, self.config)
            if plan is None:
                raise ValueError(
                    "not needed: the CORE/BTC split is within "
                    f"{self.config.params.etf_rebalance_deviation:.0%} of target"
                )
            details = {"sell": str(int(plan.sell)), "drift": f"{plan.drift:.6f}"}
            if plan.recall_raw == 0:
                return LegSpec(0, details, skipped="free liquidity covers the trade")
            return LegSpec(0, details)
        sell = sold(progress)
        if leg == "swap":
            return LegSpec(0, {"sell": str(int(sell))})
        state = await books.asset_state(self.ex.chain, _basket(self.config))
        details = {"asset": str(int(sell.other))}
        if to_stake(state.book(sell.other), self.config.buffer_share) == 0:
            return LegSpec(0, details, skipped="the bought asset is within its buffer")
        return LegSpec(0, details)

    async def summary(self, record: Record, progress: Progress) -> dict[str, str]:
        sell = sold(progress)
        swap = leg_details(progress.legs["swap"])
        state = await books.asset_state(self.ex.chain, _basket(self.config))
        return {
            "sell": sell.name,
            "drift_before": str(progress.legs["recall"].payload["details"]["drift"]),
            "amount_in_raw": str(swap.get("amount_in_raw", 0)),
            "amount_out_raw": str(swap.get("amount_out_raw", 0)),
            "recalled_raw": str(leg_details(progress.legs["recall"]).get("moved_raw", 0)),
            "deployed_raw": str(leg_details(progress.legs["deploy"]).get("moved_raw", 0)),
            "drift_after": f"{state_drift(state):.6f}",
        }

    async def preview(self, record: Record) -> dict[str, str]:
        """Dry run: the trade the chain calls for now, quoted (nothing signed)."""
        state, plan = await current_plan(self.ex.chain, self.config)
        details = {"drift": f"{state_drift(state):.6f}"}
        if plan is None:
            return details | {"sell": "none"}
        router, path = await books.swap_route(self.ex.chain, _basket(self.config), plan.sell)
        quoted = await self.ex.chain.quote(router, plan.swap_raw, path) if plan.swap_raw else 0
        return details | {
            "sell": plan.sell.name,
            "recall_raw": str(plan.recall_raw),
            "amount_in_raw": str(plan.swap_raw),
            "quoted_out_raw": str(quoted),
        }


def sold(progress: Progress) -> Asset:
    return Asset(int(progress.legs["recall"].payload["details"]["sell"]))


# ---------------------------------------------------------------------- leg transactions
async def asset_leg_plan(
    chain: ChainPort, config: ExecConfig, record: Record, deadline: int
) -> TxPlan:
    """The StakeBasket call of one leg, sized now from the chain."""
    from ballast.intervention.building import NotNeeded, TxPlan  # noqa: PLC0415 - import cycle

    basket, kind = _basket(config), record.execution.kind
    details = record.payload["details"]
    if kind is ExecKind.ASSET_DEPLOY:
        bought = Asset(int(details["asset"]))
        state = await books.asset_state(chain, basket)
        amount = to_stake(state.book(bought), config.buffer_share)
        if amount == 0:
            raise NotNeeded(f"{bought.name} is within its buffer")
        data = books.move_calldata(chain, basket, "deployLiquidity", *_amounts(bought, amount))
        return TxPlan(basket, data, details={"asset": bought.name, "moved_raw": str(amount)})
    sell = Asset(int(details["sell"]))
    state, plan = await current_plan(chain, config)
    if plan is None or plan.sell is not sell:
        raise NotNeeded(f"the CORE/BTC split no longer calls for selling {sell.name}")
    if kind is ExecKind.ASSET_RECALL:
        if plan.recall_raw == 0:
            raise NotNeeded("free liquidity covers the trade")
        data = books.move_calldata(
            chain, basket, "recallLiquidity", *_amounts(sell, plan.recall_raw)
        )
        return TxPlan(basket, data, details={"asset": sell.name, "moved_raw": str(plan.recall_raw)})
    amount = min(plan.swap_raw, state.book(sell).free)  # what is free now, recalled or not
    if amount == 0:
        raise NotNeeded(f"no free {sell.name} to sell")
    router, path = await books.swap_route(chain, basket, sell)
    quoted = await chain.quote(router, amount, path)
    min_out = amount_out_min(quoted, config.max_slippage)
    data = books.swap_calldata(chain, basket, sell, amount, min_out, deadline)
    details = {"sell": sell.name, "amount_in_raw": str(amount), "drift": f"{plan.drift:.6f}"}
    return TxPlan(basket, data, path[0], path[1], quoted, min_out, deadline, details=details)


async def asset_leg_outcome(
    chain: ChainPort, basket: str, ex: Execution, tx_hash: str
) -> tuple[int, dict[str, str]]:
    """(amount out, details) of a confirmed leg, from the call it signed and its receipt."""
    data = bytes(TypedTransaction.from_bytes(HexBytes(ex.signed.raw)).as_dict()["data"])
    words = [int.from_bytes(data[4 + 32 * i : 36 + 32 * i], "big") for i in range(2)]
    if ex.kind is not ExecKind.ASSET_SWAP:  # recallLiquidity / deployLiquidity (core, coreBtc)
        return 0, {
            "core_raw": str(words[0]),
            "core_btc_raw": str(words[1]),
            "moved_raw": str(max(words)),
        }
    sell, amount_in = Asset(words[0]), words[1]
    received = sum(r for s, r in (await chain.transfers(tx_hash, basket)).values() if s == 0)
    return received, {
        "sell": sell.name,
        "amount_in_raw": str(amount_in),
        "amount_out_raw": str(received),
    }
