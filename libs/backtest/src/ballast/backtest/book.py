"""The simulated treasury account and its executions.

Holdings are integer base units like the chain's (PSTR and PUMP 18 decimals, USDC 6). What the
live treasury reads from the chain (`ChainSnapshot`) is built from them, so `build_state` values
them exactly as it values a real balance.

Execution (what the live executor does, on simulated reserves):
- intervention: PUMP -> PSTR on the PSTR-PUMP constant-product pool (ballast.backtest.amm). The
  quote is taken when the decision is made; the swap is mined one minute later, against the pool
  re-centred at that minute's market price, with amountOutMin = quote x (1 - slippage_cap) (the
  live executor's own `amount_out_min`): a market that moved against the swap by more than the cap
  reverts it, the gas is paid anyway.
- accumulation: USDC -> PUMP at the PUMP price, less the pool fee (no pool is simulated for it:
  the hourly budget is a few hundred dollars).
Every transaction pays `gas_usd`, taken from the USDC balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from ballast.backtest.amm import BPS, Pool, centred_pool
from ballast.treasury.domain.state import ChainSnapshot, TokenBalance

MAX_PRICE_AGE = timedelta(minutes=5)
"""The treasury's max_price_age_seconds default (300)."""


def raw(amount: Decimal, decimals: int) -> int:
    return int(amount.scaleb(decimals).to_integral_value(rounding=ROUND_DOWN))


@dataclass(frozen=True)
class Account:
    """The backtest's setup: what the treasury holds at the start and the market it trades in.

    Defaults are the devnet's (ballast.devnet): 10M PSTR supply, 45M PUMP and 7.5M USDC in the
    treasury (reserve ratio 3.0 at PSTR $1, PUMP $0.50), a PSTR-PUMP pool of 1M PSTR / 2M PUMP.
    """

    pstr_supply: Decimal = Decimal(10_000_000)
    pump_held: Decimal = Decimal(45_000_000)
    usdc_held: Decimal = Decimal(7_500_000)
    pool_pstr: Decimal = Decimal(1_000_000)
    pool_pump: Decimal = Decimal(2_000_000)
    fee_bps: int = 30
    gas_usd: Decimal = Decimal("0.50")
    impact_half_life_hours: Decimal = Decimal(24)
    roi_horizon_hours: int = 24
    risk_every_minutes: int = 120
    accumulate: bool = True
    pump_price: Decimal = Decimal("0.50")
    """PUMP's price when the input has no PUMP bars (a CSV of PSTR alone)."""
    usdc_price: Decimal = Decimal(1)

    @property
    def pool_liquidity(self) -> Decimal:
        return (self.pool_pstr * self.pool_pump).sqrt()


@dataclass
class Holdings:
    pump_raw: int
    usdc_raw: int
    pstr_raw: int = 0
    gas_usd: Decimal = Decimal(0)
    _snapshot: tuple[int, int, int] | None = field(default=None, repr=False)
    _balances: tuple[TokenBalance, ...] = field(default=(), repr=False)

    @classmethod
    def start(cls, account: Account) -> Holdings:
        return cls(raw(account.pump_held, 18), raw(account.usdc_held, 6))

    @property
    def pump(self) -> Decimal:
        return Decimal(self.pump_raw).scaleb(-18)

    @property
    def usdc(self) -> Decimal:
        return Decimal(self.usdc_raw).scaleb(-6)

    def pay_gas(self, account: Account) -> None:
        self.usdc_raw = max(0, self.usdc_raw - raw(account.gas_usd, 6))
        self.gas_usd += account.gas_usd

    def snapshot(self, supply_raw: int, now: datetime) -> ChainSnapshot:
        """What the chain would say now (balances rebuilt only when they changed)."""
        key = (self.pump_raw, self.usdc_raw, self.pstr_raw)
        if key != self._snapshot:
            self._snapshot = key
            self._balances = (TokenBalance("PSTR", self.pstr_raw, 18),
                              TokenBalance("PUMP", self.pump_raw, 18),
                              TokenBalance("USDC", self.usdc_raw, 6))
        return ChainSnapshot(self._balances, supply_raw, 18, now)


def pool_at(account: Account, pstr_usd: Decimal, pump_usd: Decimal) -> Pool:
    """The PSTR-PUMP pool (PUMP in, PSTR out) at the market's price of PSTR in PUMP."""
    return centred_pool(account.pool_liquidity, pstr_usd / pump_usd, 18, 18, account.fee_bps)


@dataclass(frozen=True)
class Fill:
    pump_in_raw: int
    pstr_out_raw: int
    price_factor: Decimal
    """The pool price after over before: how much the swap moved PSTR (1 when reverted)."""
    reverted: bool


def swap_pump_for_pstr(
    holdings: Holdings, account: Account, pool: Pool, amount_in_raw: int, min_out_raw: int
) -> Fill:
    amount_in = min(amount_in_raw, holdings.pump_raw)
    holdings.pay_gas(account)
    out, after = pool.swap(amount_in)
    if amount_in <= 0 or out < min_out_raw:
        return Fill(0, 0, Decimal(1), True)
    holdings.pump_raw -= amount_in
    holdings.pstr_raw += out
    return Fill(amount_in, out, after.price() / pool.price(), False)


def buy_pump(
    holdings: Holdings, account: Account, usdc_in_raw: int, usdc_usd: Decimal, pump_usd: Decimal
) -> int:
    """Accumulation: USDC -> PUMP at the PUMP price less the fee; the PUMP bought (raw)."""
    usdc_in_raw = min(usdc_in_raw, holdings.usdc_raw)
    usd = Decimal(usdc_in_raw).scaleb(-6) * usdc_usd
    bought = raw(usd * (BPS - account.fee_bps) / BPS / pump_usd, 18)
    holdings.usdc_raw -= usdc_in_raw
    holdings.pump_raw += bought
    holdings.pay_gas(account)
    return bought
