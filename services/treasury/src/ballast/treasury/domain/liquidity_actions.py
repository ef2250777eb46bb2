"""What the liquidity manager asks the executor to do (PSTR seed 6), from one liquidity reading.

- A configured pool where the treasury holds no LP tokens: provide its budget (capital x
  liquidity_allocation x its split weight, ballast.strategy.liquidity) funded from whichever of
  the pool's two tokens the treasury holds most of (the executor swaps half into the other).
  One request per pool and UTC day: a redelivery or a second report the same day is the same
  request, a failed add is tried again the next day.
- A held position whose pool price is past 15% from the band's centre: rebalance. The request
  id is the band (pool and the time it was entered), so a band is rebalanced at most once; the
  confirmed rebalance restarts the band (a new entry, a new id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from ballast.common.messages import AutomationKind, AutomationRequest, Holding
from ballast.strategy.params import StrategyParams
from ballast.strategy.rebalance import liquidity_needs_rebalance
from ballast.strategy.sizing import raw_amount
from ballast.treasury.domain.liquidity import PoolEntry, PoolReading


@dataclass(frozen=True)
class Planned:
    requests: list[AutomationRequest]
    reasons: list[str]


class Tokens(Protocol):
    """A pool reading (V2 or V3): its name, its address and its two token symbols in the
    pool's order."""

    @property
    def pair(self) -> str: ...
    @property
    def pool(self) -> str: ...
    @property
    def token0(self) -> str: ...
    @property
    def token1(self) -> str: ...


def funding(reading: Tokens, holdings: dict[str, Holding], budget: Decimal
            ) -> tuple[int, Holding, Decimal] | None:
    """(index in the pair, holding, its USD price) of the pool token that can pay the whole
    budget, the one held most of; None when neither can."""
    best: tuple[int, Holding, Decimal] | None = None
    for index, symbol in enumerate((reading.token0, reading.token1)):
        h = holdings.get(symbol)
        if h is None or h.price_usd is None or h.value_usd is None or h.value_usd < budget:
            continue
        if best is None or (best[1].value_usd or 0) < h.value_usd:
            best = (index, h, h.price_usd)
    return best


def add_request(reading: Tokens, budget: Decimal, holdings: dict[str, Holding], now: datetime,
                ) -> AutomationRequest | str:
    """The pool's add of its budget (one id per pool and UTC day), or why there is none."""
    pair, pool = reading.pair, reading.pool
    found = funding(reading, holdings, budget)
    if found is None:
        return (f"{pair}: no add, neither {reading.token0} nor {reading.token1} holdings "
                f"cover {budget:.2f} USD")
    index, h, price = found
    return AutomationRequest(
        request_id=f"{pair}-{now:%Y%m%d}", kind=AutomationKind.LIQUIDITY_ADD,
        amount_usd=budget, requested_at=now,
        reason=f"{pair}: provide {budget:.2f} USD (seed 6 split) from {h.symbol}",
        details={"pair": pair, "pool": pool, "fund_symbol": h.symbol,
                 "fund_index": str(index), "fund_raw": str(raw_amount(budget, price, h.decimals))},
    )


def plan_requests(
    items: list[tuple[PoolReading, PoolEntry]],
    budgets: dict[str, Decimal],
    holdings: dict[str, Holding],
    params: StrategyParams,
    now: datetime,
) -> Planned:
    requests: list[AutomationRequest] = []
    reasons: list[str] = []
    for reading, entry in items:
        budget = budgets.get(reading.pair)
        if budget is None or budget <= 0:
            continue
        if reading.lp_balance_raw == 0:
            add = add_request(reading, budget, holdings, now)
            if isinstance(add, str):
                reasons.append(add)
            else:
                requests.append(add)
            continue
        if reading.reserve0 <= 0 or entry.entered_at is None:
            continue
        price = reading.reserve1 / reading.reserve0
        if liquidity_needs_rebalance(price, entry.centre_price, params):
            requests.append(AutomationRequest(
                request_id=f"{reading.pair}-band-{entry.entered_at:%Y%m%dT%H%M%S}",
                kind=AutomationKind.LIQUIDITY_REBALANCE, amount_usd=Decimal(0),
                requested_at=now,
                reason=f"{reading.pair}: pool price {price:.6g} is more than "
                       f"{params.range_rebalance_distance:.0%} from the band's centre "
                       f"{entry.centre_price:.6g}",
                details={"pair": reading.pair, "pool": reading.pool},
            ))
    return Planned(requests, reasons)
