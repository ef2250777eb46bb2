"""Constant-product AMM math (Uniswap V2) and how the policy's own swaps move the market.

Swap (Uniswap V2 `getAmountOut`, in exact integers like the pair contract):

    out = in x (1 - fee) x R_out / (R_in + in x (1 - fee))

with the fee in basis points (0.3% = 30 bps: `in x 9970 x R_out / (R_in x 10000 + in x 9970)`).

The market model of the backtest (see ballast.backtest.engine):

- The PSTR-PUMP pool has a fixed liquidity L = sqrt(R_pstr x R_pump) (in whole tokens). Before a
  swap it is re-centred at the market price (arbitrage keeps it there between our trades): R_pstr
  = L / sqrt(P), R_pump = L x sqrt(P), P = PSTR price in PUMP.
- A swap moves the pool price by a factor f = P_after / P_before. The PSTR market price is the
  scenario's price times `Impact.multiplier`, the product of every f of our trades, relaxing back
  towards 1 with a half-life (arbitrage and other traders absorb the move over time):
  `m(t + dt) = 1 + (m(t) - 1) x 0.5 ** (dt / half_life)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

BPS = 10_000


def amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int) -> int:
    """Uniswap V2 getAmountOut, integer base units (rounded down like the contract)."""
    if amount_in <= 0 or reserve_in <= 0 or reserve_out <= 0:
        return 0
    with_fee = amount_in * (BPS - fee_bps)
    return with_fee * reserve_out // (reserve_in * BPS + with_fee)


@dataclass(frozen=True)
class Pool:
    """Reserves in base units: `reserve_in` of the token sold, `reserve_out` of the token bought."""

    reserve_in: int
    reserve_out: int
    decimals_in: int
    decimals_out: int
    fee_bps: int

    def price(self) -> Decimal:
        """Tokens in per token out (whole units): the spot price of the bought token."""
        return (Decimal(self.reserve_in).scaleb(-self.decimals_in)) / (
            Decimal(self.reserve_out).scaleb(-self.decimals_out)
        )

    def quote(self, amount_in: int) -> int:
        return amount_out(amount_in, self.reserve_in, self.reserve_out, self.fee_bps)

    def swap(self, amount_in: int) -> tuple[int, Pool]:
        """The amount out and the pool after the swap."""
        out = self.quote(amount_in)
        after = Pool(self.reserve_in + amount_in, self.reserve_out - out,
                     self.decimals_in, self.decimals_out, self.fee_bps)
        return out, after


def centred_pool(
    liquidity: Decimal, price_in_per_out: Decimal, decimals_in: int, decimals_out: int,
    fee_bps: int,
) -> Pool:
    """A pool of liquidity L (whole tokens) whose spot price is `price_in_per_out`."""
    root = price_in_per_out.sqrt()
    reserve_out = liquidity / root
    reserve_in = liquidity * root
    return Pool(int(reserve_in.scaleb(decimals_in)), int(reserve_out.scaleb(decimals_out)),
                decimals_in, decimals_out, fee_bps)


def half_life_factor(half_life_minutes: Decimal) -> Decimal:
    """0.5 ** (1 / half_life): what is left of an impact after one minute (0: none is left)."""
    if half_life_minutes <= 0:
        return Decimal(0)
    return (Decimal("0.5").ln() / half_life_minutes).exp()


@dataclass
class Impact:
    """The policy's cumulative price impact on PSTR (see the module docstring)."""

    per_minute: Decimal
    multiplier: Decimal = Decimal(1)
    floor: Decimal = Decimal("1e-9")
    """Below this distance from 1 the multiplier is exactly 1 again (no impact outstanding)."""

    def decay(self, minutes: int = 1) -> None:
        if self.multiplier == 1:
            return
        excess = (self.multiplier - 1) * self.per_minute ** minutes
        self.multiplier = Decimal(1) if abs(excess) < self.floor else 1 + excess

    def apply(self, factor: Decimal) -> None:
        self.multiplier *= factor
