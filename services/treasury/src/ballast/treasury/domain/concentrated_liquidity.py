"""A concentrated-liquidity (Uniswap V3) pool's position, measured and acted on (PSTR seed 6;
issue #18): where the deployment names a V3 pool and the treasury's pool list names it, the
position has a real range, the ticks of the position NFTs the treasury holds.

Measured from one chain reading (adapters/v3_positions.py), nothing estimated:

- amounts: each position's liquidity at the pool's sqrtPriceX96 (ballast.strategy.concentrated);
- in range: the pool's tick inside every held position's [tickLower, tickUpper) (the pool's own
  convention: only then does a position earn fees);
- fees earned: what `collect` would pay now (the position manager's answer to a static call from
  the owner, which first credits the fees accrued since the last touch), valued in USD;
- impermanent loss: the position's value over the value of holding what the same liquidity held
  at the band's centre, the price it was minted at (the band is built around the price of the
  mint, up to the tick rounding), both at the pool price now: <= 0 at any price;
- rebalance: the pool price more than range_rebalance_distance from the band's centre
  (`concentrated.needs_rebalance`), asked once per band, the band being the newest position NFT.

Prices in the message (range_lower/upper/centre) are in token units (token1 per token0, decimals
applied), as the V2 positions'; the ticks' own prices are raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from ballast.common.messages import AutomationKind, AutomationRequest, Holding, LiquidityPosition
from ballast.strategy.concentrated import (
    PRECISION,
    Q96,
    amounts_for_liquidity,
    band_centre,
    in_range,
    needs_rebalance,
    price_at_tick,
    price_of_sqrt,
    sqrt_ratio_at_tick,
)
from ballast.strategy.params import StrategyParams
from ballast.treasury.domain.liquidity import PoolReading
from ballast.treasury.domain.liquidity_actions import add_request


@dataclass(frozen=True)
class V3Position:
    """One position NFT of the treasury in the pool; `owed0/1` are raw amounts `collect` pays."""

    token_id: int
    tick_lower: int
    tick_upper: int
    liquidity: int
    owed0: int = 0
    owed1: int = 0


@dataclass(frozen=True)
class ConcentratedReading:
    """One V3 pool as the chain shows it at one block, and the treasury's positions in it."""

    pool: str
    pair: str
    token0: str
    token1: str
    decimals0: int
    decimals1: int
    sqrt_price_x96: int
    tick: int
    pool_liquidity: int
    """The pool's active (in-range) liquidity."""
    positions: tuple[V3Position, ...] = ()

    @property
    def held(self) -> tuple[V3Position, ...]:
        """The positions that hold liquidity (an emptied, unburned NFT holds nothing)."""
        return tuple(p for p in self.positions if p.liquidity > 0)

    @property
    def band(self) -> V3Position | None:
        """The newest held position: the band the last add or rebalance minted."""
        return max(self.held, key=lambda p: p.token_id, default=None)

    def units(self, raw: int, index: int) -> Decimal:
        return Decimal(raw).scaleb(-(self.decimals0, self.decimals1)[index])

    def unit_price(self, raw_price: Decimal) -> Decimal:
        """A raw pool price (raw token1 per raw token0) in token units."""
        return raw_price.scaleb(self.decimals0 - self.decimals1)


Reading = PoolReading | ConcentratedReading
"""What the chain reader returns for one pool."""


def _sqrt_x96(price: Decimal) -> int:
    with localcontext(PRECISION):
        return int(price.sqrt() * Q96)


def _amounts(r: ConcentratedReading, sqrt_price: int, p: V3Position) -> tuple[int, int]:
    a, b = sqrt_ratio_at_tick(p.tick_lower), sqrt_ratio_at_tick(p.tick_upper)
    return amounts_for_liquidity(sqrt_price, a, b, p.liquidity)


def impermanent_loss(r: ConcentratedReading) -> Decimal | None:
    """The held positions' value over holding what they held at their bands' centres, minus
    one, both valued at the pool price now (in raw token1)."""
    held = r.held
    if not held:
        return None
    with localcontext(PRECISION):
        price = price_of_sqrt(r.sqrt_price_x96)
        lp = hold = Decimal(0)
        for p in held:
            now0, now1 = _amounts(r, r.sqrt_price_x96, p)
            centre = _sqrt_x96(band_centre(p.tick_lower, p.tick_upper))
            then0, then1 = _amounts(r, centre, p)
            lp += now0 * price + now1
            hold += then0 * price + then1
        return lp / hold - 1 if hold > 0 else None


def measure(
    r: ConcentratedReading,
    prices: dict[str, Decimal | None],
    target_weight: Decimal,
    params: StrategyParams,
) -> tuple[LiquidityPosition, bool]:
    """One position message for the pool (actual_weight filled by `build_liquidity`) and
    whether its band needs a rebalance."""
    held, band = r.held, r.band
    raw = [0, 0]
    owed = [0, 0]
    for p in held:
        for i, amount in enumerate(_amounts(r, r.sqrt_price_x96, p)):
            raw[i] += amount
        owed[0], owed[1] = owed[0] + p.owed0, owed[1] + p.owed1
    amount0, amount1 = r.units(raw[0], 0), r.units(raw[1], 1)
    p0, p1 = prices.get(r.token0), prices.get(r.token1)
    value = fees = None
    if p0 is not None and p1 is not None:
        value = amount0 * p0 + amount1 * p1
        fees = r.units(owed[0], 0) * p0 + r.units(owed[1], 1) * p1 if held else None
    active = sum(p.liquidity for p in held if in_range(r.tick, p.tick_lower, p.tick_upper))
    share = min(Decimal(active) / r.pool_liquidity, Decimal(1)) if r.pool_liquidity else Decimal(0)
    lower = upper = centre = None
    if band is not None:
        lower = r.unit_price(price_at_tick(band.tick_lower))
        upper = r.unit_price(price_at_tick(band.tick_upper))
        centre = r.unit_price(band_centre(band.tick_lower, band.tick_upper))
    msg = LiquidityPosition(
        pool=r.pool,
        pair=r.pair,
        lp_balance_raw=sum(p.liquidity for p in held),
        pool_share=share,
        amount0=amount0,
        amount1=amount1,
        value_usd=value,
        target_weight=target_weight,
        actual_weight=None,
        range_lower=lower,
        range_upper=upper,
        range_centre=centre,
        in_range=bool(held) and all(in_range(r.tick, p.tick_lower, p.tick_upper) for p in held),
        impermanent_loss=impermanent_loss(r),
        fees_earned_usd=fees,
        band_started_at=None,
    )
    return msg, rebalance_due(r, params)


def rebalance_due(r: ConcentratedReading, params: StrategyParams) -> bool:
    """Seed 6: the pool price past range_rebalance_distance from a held band's centre."""
    price = price_of_sqrt(r.sqrt_price_x96)
    return any(needs_rebalance(price, p.tick_lower, p.tick_upper, params) for p in r.held)


def plan(
    r: ConcentratedReading,
    budget: Decimal | None,
    holdings: dict[str, Holding],
    params: StrategyParams,
    now: datetime,
) -> AutomationRequest | str | None:
    """What to ask for a pool of the split (`budget`): its add (no position; the V2 add's id,
    per pool and UTC day), its rebalance (the band past 15%; the id names the band's position
    NFT, so a band is rebalanced at most once), a reason for no add, or None."""
    band = r.band
    if budget is None or budget <= 0:
        return None  # not a pool of the configured split: not managed (as a V2 pool)
    if band is None:
        return add_request(r, budget, holdings, now)
    if not rebalance_due(r, params):
        return None
    price = r.unit_price(price_of_sqrt(r.sqrt_price_x96))
    centre = r.unit_price(band_centre(band.tick_lower, band.tick_upper))
    return AutomationRequest(
        request_id=f"{r.pair}-band-{band.token_id}",
        kind=AutomationKind.LIQUIDITY_REBALANCE,
        amount_usd=Decimal(0),
        requested_at=now,
        reason=f"{r.pair}: pool price {price:.6g} is more than "
        f"{params.range_rebalance_distance:.0%} from the centre {centre:.6g} of the band "
        f"[{band.tick_lower}, {band.tick_upper}) (position {band.token_id})",
        details={"pair": r.pair, "pool": r.pool},
    )
