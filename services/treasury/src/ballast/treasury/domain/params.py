"""The strategy's numbers, as plain data the formulas take (PSTR seed "Configuration Parameters").

settings.py reads them from the environment (seed key names, seed defaults) and builds this.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class StrategyParams:
    """Seed config keys, plus the seed's own fixed numbers that the formulas need.

    `reduced_rr_threshold` (2.0) and `reduced_deployment_factor` are from "Safety Mechanisms":
    "automatic deployment reduction if reserve ratio < 2.0"; the seed gives no size for the
    reduction, so it is a setting (default: half).
    """

    total_capital: Decimal = Decimal(1_000_000)
    accumulation_period: int = 365
    treasury_allocation: Decimal = Decimal("0.90")
    liquidity_allocation: Decimal = Decimal("0.10")
    trigger_threshold: Decimal = Decimal("0.85")
    cooldown_hours: int = 48
    min_reserve_ratio: Decimal = Decimal("3.0")
    max_pump_concentration: Decimal = Decimal("0.80")
    max_daily_interventions: int = 1
    max_deployment: Decimal = Decimal("0.40")
    min_rr_threshold: Decimal = Decimal("1.5")
    reduced_rr_threshold: Decimal = Decimal("2.0")
    reduced_deployment_factor: Decimal = Decimal("0.5")
