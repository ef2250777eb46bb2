"""Assemble `treasury.state` from on-chain balances, consensus prices and the 30-day VWAP.

PSTR seed section 2 (budget, reserve ratio, capacity, tiers) and section 5 (safety, concentration).
Rule of the issue: a missing or stale input never gets a default. It is carried through in
`inputs` with its own status, the values that depend on it are None, and `status` says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from ballast.common.messages import (
    ConsensusPrice,
    ConsensusStatus,
    Holding,
    InputStatus,
    StateStatus,
    TreasuryState,
)
from ballast.strategy import accumulation, reserve, sizing, tiers
from ballast.strategy.params import StrategyParams


@dataclass(frozen=True)
class TokenBalance:
    """One on-chain balance of the treasury account (ERC-20 balanceOf, or native)."""

    symbol: str
    amount_raw: int
    decimals: int

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_raw).scaleb(-self.decimals)


@dataclass(frozen=True)
class ChainSnapshot:
    """What the chain said at one block: balances and the PSTR total supply."""

    balances: tuple[TokenBalance, ...]
    pstr_total_supply_raw: int
    pstr_decimals: int
    read_at: datetime
    block_number: int | None = None

    @property
    def pstr_total_supply(self) -> Decimal:
        return Decimal(self.pstr_total_supply_raw).scaleb(-self.pstr_decimals)


@dataclass(frozen=True)
class Symbols:
    """Which symbols play which part, and where a token's price is published under another name.

    The devnet's tokens are PSTR, PUMP, USDC and WCORE; native CORE is priced like WCORE.
    """

    pstr: str = "PSTR"
    pump: str = "PUMP"
    price_aliases: Mapping[str, str] = field(
        default_factory=lambda: {"CORE": "WCORE", "WCORE": "CORE"}
    )


def price_input(
    symbol: str,
    prices: Mapping[str, ConsensusPrice],
    now: datetime,
    max_age: timedelta,
    symbols: Symbols,
) -> InputStatus:
    """The consensus a symbol is valued with (its own, else its alias), as an InputStatus.

    Never seen: HALTED with no price (the message enum has no MISSING value); the reason list
    of the state says "no consensus received".
    """
    found = prices.get(symbol)
    if found is None and symbol in symbols.price_aliases:
        found = prices.get(symbols.price_aliases[symbol])
    if found is None:
        return InputStatus(symbol=symbol, status=ConsensusStatus.HALTED, price=None)
    return InputStatus(
        symbol=symbol,
        status=found.status,
        price=found.price,
        computed_at=found.computed_at,
        stale=now - found.computed_at > max_age,
    )


def _status(inputs: list[InputStatus], missing_other: bool, stale_chain: bool) -> StateStatus:
    if missing_other or any(i.price is None for i in inputs):
        return StateStatus.MISSING_INPUT
    if stale_chain or any(i.stale for i in inputs):
        return StateStatus.STALE_INPUT
    if any(i.status is not ConsensusStatus.OK for i in inputs):
        return StateStatus.DEGRADED
    return StateStatus.OK


def _reasons(inputs: list[InputStatus]) -> list[str]:
    reasons: list[str] = []
    for i in inputs:
        if i.price is None and i.computed_at is None:
            reasons.append(f"{i.symbol}: no consensus price received")
        elif i.price is None:
            reasons.append(f"{i.symbol}: consensus {i.status.value} without a price")
        elif i.stale:
            reasons.append(f"{i.symbol}: consensus price is stale (from {i.computed_at})")
        elif i.status is not ConsensusStatus.OK:
            reasons.append(f"{i.symbol}: consensus {i.status.value}")
    return reasons


def build_state(  # noqa: C901 - one straight assembly of the seed's formulas
    chain: ChainSnapshot | None,
    prices: Mapping[str, ConsensusPrice],
    vwap_30d: Decimal | None,
    params: StrategyParams,
    now: datetime,
    max_price_age: timedelta,
    symbols: Symbols | None = None,
) -> TreasuryState:
    """Seed 2 and 5 in one message. Treasury value counts every holding except PSTR itself.

    A chain snapshot older than `max_price_age` makes the state STALE_INPUT, like a price.
    PSTR held by the treasury is listed and valued but is not a reserve: a reserve ratio that
    counted the token it backs would be circular. Liquidity positions are reported separately
    in `liquidity.state` (the seed's liquidity allocation, not the treasury allocation).
    """
    sym = symbols or Symbols()
    reasons: list[str] = []
    budget = accumulation.daily_budget(params)
    needed = {sym.pstr} | {b.symbol for b in (chain.balances if chain else ()) if b.amount_raw}
    inputs = [price_input(s, prices, now, max_price_age, sym) for s in sorted(needed)]
    by_symbol = {i.symbol: i for i in inputs}
    reasons += _reasons(inputs)

    holdings: list[Holding] = []
    treasury_value: Decimal | None = None
    pump_value = Decimal(0)
    stale_chain = chain is not None and now - chain.read_at > max_price_age
    if chain is None:
        reasons.append("chain: no balance snapshot read yet")
    else:
        if stale_chain:
            reasons.append(f"chain: balance snapshot is stale (read at {chain.read_at})")
        treasury_value = Decimal(0)
        for b in chain.balances:
            price = by_symbol[b.symbol].price if b.symbol in by_symbol else None
            value = None if price is None else b.amount * price
            if b.amount_raw == 0:
                value = Decimal(0)
            holdings.append(
                Holding(symbol=b.symbol, amount_raw=b.amount_raw, decimals=b.decimals,
                        amount=b.amount, price_usd=price, value_usd=value)
            )
            if b.symbol == sym.pstr:
                continue
            if value is None:
                treasury_value = None
            elif treasury_value is not None:
                treasury_value += value
            if b.symbol == sym.pump and value is not None:
                pump_value += value

    pstr_price = by_symbol[sym.pstr].price
    mcap = None
    if chain is not None and pstr_price is not None:
        mcap = reserve.market_cap(chain.pstr_total_supply, pstr_price)
    rr = None
    if treasury_value is not None and mcap is not None:
        rr = reserve.reserve_ratio(treasury_value, mcap)
        if rr is None:
            reasons.append("PSTR market cap is zero: no reserve ratio")
    dd = None
    if vwap_30d is None:
        reasons.append("30-day VWAP: no trades in the window")
    else:
        dd = tiers.drawdown(pstr_price, vwap_30d)

    mode = reserve.safety_mode(rr, params)
    if rr is None:
        reasons.append("reserve ratio unknown: emergency stop (fail closed)")
    tier = tiers.tier_for(dd, params)
    capacity = None
    if treasury_value is not None and mcap is not None:
        capacity = sizing.intervention_capacity(pump_value, treasury_value, mcap, params)
    pump_conc = (
        None if treasury_value is None else reserve.concentration(pump_value, treasury_value)
    )

    return TreasuryState(
        computed_at=now,
        status=_status(inputs, chain is None or vwap_30d is None or rr is None, stale_chain),
        holdings=holdings,
        treasury_value_usd=treasury_value,
        pstr_price=pstr_price,
        pstr_market_cap_usd=mcap,
        reserve_ratio=rr,
        daily_budget_usd=budget,
        intervention_capacity_usd=capacity,
        vwap_30d=vwap_30d,
        drawdown=dd,
        tier=tier.level,
        deployment_share=sizing.deployment_share(tier, mode, params),
        safety_mode=mode,
        pump_concentration=pump_conc,
        pump_concentration_limit=params.max_pump_concentration,
        min_rr_threshold=params.min_rr_threshold,
        reduced_rr_threshold=params.reduced_rr_threshold,
        inputs=inputs,
        reasons=reasons,
        strategy_fingerprint=params.fingerprint(),
    )
