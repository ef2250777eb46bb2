"""The intervention policy: the PSTR seed's numbers, as one immutable value.

Keys and defaults are the seed's ("Configuration Parameters", "Risk Management Settings",
section 2 "Deployment Logic", section 5 "Safety Mechanisms"). The settings module builds one of
these from the environment; tests and backtests build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Tier:
    """A deployment tier: from `min_drawdown` (inclusive) deploy `share` of the capacity."""

    level: int
    min_drawdown: Decimal
    share: Decimal


SEED_TIERS: tuple[Tier, ...] = (
    Tier(3, Decimal("0.30"), Decimal("0.40")),
    Tier(2, Decimal("0.20"), Decimal("0.25")),
    Tier(1, Decimal("0.15"), Decimal("0.10")),
)
"""PSTR seed section 2: drawdown >= 30% -> 40%, >= 20% -> 25%, >= 15% -> 10%, else none."""


@dataclass(frozen=True)
class Policy:
    strategy: str = "pstr"
    trigger_threshold: Decimal = Decimal("0.85")
    cooldown_hours: Decimal = Decimal(48)
    max_daily_interventions: int = 1
    max_deployment: Decimal = Decimal("0.40")
    min_rr_threshold: Decimal = Decimal("1.5")
    reduced_rr_threshold: Decimal = Decimal("2.0")
    reduced_deployment_factor: Decimal = Decimal("0.5")
    """The seed says "automatic deployment reduction if reserve ratio < 2.0" without a size:
    half is our choice, configurable."""
    max_pump_concentration: Decimal = Decimal("0.80")
    max_state_age_seconds: int = 900
    """A treasury.state older than this is not acted on (3 monitoring cycles of 5 minutes)."""
    approval_threshold_usd: Decimal | None = None
    """Interventions above this wait for control.approve or the approval delay (time lock)."""
    pump_symbol: str = "PUMP"
    tiers: tuple[Tier, ...] = field(default=SEED_TIERS)

    def tier_for(self, drawdown: Decimal) -> Tier | None:
        """The highest tier whose threshold the drawdown reaches, or None."""
        for tier in sorted(self.tiers, key=lambda t: t.min_drawdown, reverse=True):
            if drawdown >= tier.min_drawdown:
                return tier
        return None
