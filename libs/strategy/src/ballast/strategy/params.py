"""The strategy's numbers as one immutable value (PSTR seed "Configuration Parameters").

Every key is the seed's, with the seed's default. `settings.py` reads them once from
`BALLAST_STRATEGY_*` for every service that needs them; tests and backtests build them directly.
`check` is the one place that says which combinations are contradictory.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import cast


@dataclass(frozen=True)
class Tier:
    """A deployment tier: from `min_drawdown` (inclusive) deploy `share` of the capacity."""

    level: int
    min_drawdown: Decimal
    share: Decimal


NO_TIER = Tier(0, Decimal(1), Decimal(0))
"""Below every tier threshold: nothing is deployed."""

SEED_TIERS: tuple[Tier, ...] = (
    Tier(3, Decimal("0.30"), Decimal("0.40")),
    Tier(2, Decimal("0.20"), Decimal("0.25")),
    Tier(1, Decimal("0.15"), Decimal("0.10")),
)
"""PSTR seed 2 "Deployment Logic": drawdown >= 30% -> 40%, >= 20% -> 25%, >= 15% -> 10%."""


@dataclass(frozen=True)
class StrategyParams:
    """Seed `config` and `risk_config` keys, plus the few numbers the seed states in prose.

    - `reduced_rr_threshold` 2.0 and `reduced_deployment_factor`: seed 5 "Automatic deployment
      reduction if reserve ratio < 2.0"; the seed gives no size for the reduction: half.
    - `slippage_cap` 0.02: seed "Cost Optimization", maximum 2% slippage tolerance.
    - `range_width` 0.10 and `range_rebalance_distance` 0.15: seed 6, ±10% concentration range,
      auto-rebalance when the price moves > 15% from the range centre.
    - `etf_rebalance_deviation` 0.10: StakeBasket seed, rebalance when the allocation deviates
      more than 10% from its target.
    - `liquidity_split`: seed 6, 60% in the primary pair's pool, 40% in the stable pool.
    """

    total_capital: Decimal = Decimal(1_000_000)
    accumulation_period: int = 365
    treasury_allocation: Decimal = Decimal("0.90")
    liquidity_allocation: Decimal = Decimal("0.10")
    trigger_threshold: Decimal = Decimal("0.85")
    cooldown_hours: Decimal = Decimal(48)
    min_reserve_ratio: Decimal = Decimal("3.0")
    max_pump_concentration: Decimal = Decimal("0.80")
    max_daily_interventions: int = 1
    max_deployment: Decimal = Decimal("0.40")
    min_rr_threshold: Decimal = Decimal("1.5")
    reduced_rr_threshold: Decimal = Decimal("2.0")
    reduced_deployment_factor: Decimal = Decimal("0.5")
    slippage_cap: Decimal = Decimal("0.02")
    range_width: Decimal = Decimal("0.10")
    range_rebalance_distance: Decimal = Decimal("0.15")
    etf_rebalance_deviation: Decimal = Decimal("0.10")
    liquidity_split: tuple[Decimal, Decimal] = (Decimal("0.60"), Decimal("0.40"))
    tiers: tuple[Tier, ...] = field(default=SEED_TIERS)

    def fingerprint(self) -> str:
        """A short digest of every value: equal params, equal fingerprint.

        The treasury stamps it on `treasury.state`; the intervention service refuses a state made
        under other params, so two services can never act on different values of one key.
        """
        return _fingerprint(self)


def _canonical(value: object) -> object:
    """Equal numbers, one spelling: 0.90 from the environment and 0.9 from the chain's
    18-decimal value (ballast.strategy.onchain) are the same setting."""
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, dict):
        items = cast(dict[str, object], value)
        return sorted((k, _canonical(v)) for k, v in items.items())
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in cast(Sequence[object], value)]
    return value


@functools.lru_cache(maxsize=64)
def _fingerprint(p: StrategyParams) -> str:
    """Memoised: the treasury stamps it on every state (the backtest, once a minute)."""
    text = repr(_canonical(asdict(p)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check(p: StrategyParams) -> list[str]:
    """Every contradiction in `p`, one line each naming the keys (empty when consistent)."""
    errors: list[str] = []
    if p.treasury_allocation + p.liquidity_allocation > 1:
        errors.append("treasury_allocation + liquidity_allocation must not exceed 1")
    if not p.min_rr_threshold < p.reduced_rr_threshold <= p.min_reserve_ratio:
        errors.append("need min_rr_threshold < reduced_rr_threshold <= min_reserve_ratio")
    if not p.tiers:
        errors.append("tiers: at least one tier is needed")
        return errors
    first = min(p.tiers, key=lambda t: t.min_drawdown)
    trigger_drawdown = 1 - p.trigger_threshold
    if first.min_drawdown != trigger_drawdown:
        errors.append(
            f"trigger_threshold {p.trigger_threshold} fires at a {trigger_drawdown:.0%} drawdown "
            f"but tier {first.level} starts at {first.min_drawdown:.0%}: they must agree "
            f"(trigger_threshold = 1 - tier {first.level} drawdown)"
        )
    if sum(p.liquidity_split) != 1:
        errors.append("liquidity_split weights must sum to 1")
    return errors
