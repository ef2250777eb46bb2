"""The StakeBasket's CORE/BTC split against its target, and the trade that restores it
(StakeBasket seed phase 2: "Check allocation balance; Rebalance if needed (>10% deviation)";
issue #18).

The StakingManager holds the target split of the basket between its two assets
(`targetCoreBps` + `targetBtcBps` = 10,000). Each asset's value is what the basket holds of it for
its shareholders, at the oracle price: held plus staked less what queued withdrawals are owed
(that money belongs to the queue). Rewards not yet compounded are left out: they
are small and become CORE stake at the next compound.

    drift = CORE's share of the two values - CORE's target share   (positive: CORE overweight)

Past `etf_rebalance_deviation` (the seed's 10%, the same bound as the per-validator weights) the
overweight asset is sold for the other: |drift| x (CORE value + BTC value) of it, which puts the
split back on target less the pool's fee and price impact (a few bps). Within the bound nothing
is traded: the pool fee is not paid for noise.

The trade is made from the basket's free liquidity. When that is short, the difference is
recalled from staking first (with any queue shortfall of that asset: the queue is paid first),
plus what keeps the sold asset's instant-withdrawal buffer (ballast.strategy.basket) whole after
the trade; what cannot be recalled shrinks the trade.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import IntEnum

from ballast.strategy.basket import INSTANT_BUFFER_SHARE, AssetBook
from ballast.strategy.params import StrategyParams

BPS = 10_000


class Asset(IntEnum):
    """The StakeBasket's assets as its ABI encodes them (contracts/src/etf/EtfTypes.sol)."""

    CORE = 0
    CORE_BTC = 1

    @property
    def decimals(self) -> int:
        return 18 if self is Asset.CORE else 8

    @property
    def other(self) -> Asset:
        return Asset.CORE_BTC if self is Asset.CORE else Asset.CORE


@dataclass(frozen=True)
class AssetSwap:
    """Sell `amount_usd` of `sell` for the other asset; `drift` is what it corrects."""

    sell: Asset
    amount_usd: Decimal
    drift: Decimal


@dataclass(frozen=True)
class AssetPlan:
    """The trade in base units: recall `recall_raw` of `sell` from staking, then swap
    `swap_raw` of it."""

    sell: Asset
    recall_raw: int
    swap_raw: int
    drift: Decimal


def value_usd(book: AssetBook, price_usd: Decimal, decimals: int) -> Decimal:
    """Held plus staked less what the queue is owed, of one asset, in USD at `price_usd` per
    whole token (a queue owed more than is held is paid from the stake)."""
    net = max(0, book.balance + book.staked - book.owed)
    return Decimal(net).scaleb(-decimals) * price_usd


def drift(core_usd: Decimal, btc_usd: Decimal, target_core_bps: int) -> Decimal:
    """CORE's share of the two values minus its target share (0 for an empty basket)."""
    total = core_usd + btc_usd
    if total <= 0:
        return Decimal(0)
    return core_usd / total - Decimal(target_core_bps) / BPS


def drift_bps(core_usd: Decimal, btc_usd: Decimal, target_core_bps: int) -> int:
    """|drift| in basis points, rounded down (what `etf.metrics` reports)."""
    return int(
        (abs(drift(core_usd, btc_usd, target_core_bps)) * BPS).to_integral_value(
            rounding=ROUND_DOWN
        )
    )


def rebalancing_swap(
    core_usd: Decimal,
    btc_usd: Decimal,
    target_core_bps: int,
    params: StrategyParams,
) -> AssetSwap | None:
    """The trade back to target when |drift| exceeds `etf_rebalance_deviation`, else None."""
    d = drift(core_usd, btc_usd, target_core_bps)
    if abs(d) <= params.etf_rebalance_deviation:
        return None
    sell = Asset.CORE if d > 0 else Asset.CORE_BTC
    return AssetSwap(sell, abs(d) * (core_usd + btc_usd), d)


def to_raw(amount_usd: Decimal, price_usd: Decimal, decimals: int) -> int:
    """USD -> base units of a token at `price_usd`, rounded down."""
    if price_usd <= 0:
        raise ValueError(f"price must be positive, got {price_usd}")
    whole = amount_usd / price_usd
    return int(whole.scaleb(decimals).to_integral_value(rounding=ROUND_DOWN))


def recall_for_swap(
    book: AssetBook, amount: int, buffer_share: Decimal = INSTANT_BUFFER_SHARE
) -> int:
    """What to recall from staking so that `amount` can be sold from free liquidity and the
    asset's buffer (on what is left after the sale) stays liquid; capped by the stake. A queue
    owed more than the basket holds is paid first from what comes back, so the recall covers
    that shortfall too (the contract's free liquidity is balance - owed)."""
    have = book.balance - book.owed
    left = max(0, have + book.staked - amount)
    keep = int((Decimal(left) * buffer_share).to_integral_value(rounding=ROUND_DOWN))
    return min(book.staked, max(0, amount + keep - have))


def plan(
    core: AssetBook,
    btc: AssetBook,
    prices_usd: tuple[Decimal, Decimal],
    target_core_bps: int,
    params: StrategyParams,
    buffer_share: Decimal = INSTANT_BUFFER_SHARE,
) -> AssetPlan | None:
    """The whole asset rebalance from the basket's books and the two oracle prices (CORE, BTC):
    None within the bound."""
    core_price, btc_price = prices_usd
    swap = rebalancing_swap(
        value_usd(core, core_price, Asset.CORE.decimals),
        value_usd(btc, btc_price, Asset.CORE_BTC.decimals),
        target_core_bps,
        params,
    )
    if swap is None:
        return None
    book, price = (core, core_price) if swap.sell is Asset.CORE else (btc, btc_price)
    amount = to_raw(swap.amount_usd, price, swap.sell.decimals)
    recall = recall_for_swap(book, amount, buffer_share)
    free = max(0, book.balance - book.owed + recall)
    return AssetPlan(swap.sell, recall, min(amount, free), swap.drift)
