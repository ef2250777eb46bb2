"""What the intervention decision needs beyond the strategy's numbers: which strategy it is, how
old a state may be, and when a human must approve. Built from settings; tests build it directly."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ballast.strategy.params import StrategyParams


@dataclass(frozen=True)
class Policy:
    params: StrategyParams = field(default_factory=StrategyParams)
    strategy: str = "pstr"
    max_state_age_seconds: int = 900
    """A treasury.state older than this is not acted on (3 monitoring cycles of 5 minutes)."""
    approval_threshold_usd: Decimal | None = None
    """Interventions above this wait for control.approve or the approval delay (time lock)."""
    pump_symbol: str = "PUMP"
