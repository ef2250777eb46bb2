"""One set of strategy settings for every service: `BALLAST_STRATEGY_<KEY>`, the PSTR seed's keys
and defaults (`ballast.strategy.params`). The treasury and the intervention service both read them
here, the same way, and the treasury stamps their fingerprint on every state; a contradiction
(for example a trigger_threshold that disagrees with the tier-1 drawdown) stops the service at
start with one line.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Self

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ballast.strategy.params import StrategyParams, check

PREFIX = "BALLAST_STRATEGY_"
_SEED = StrategyParams()


class StrategySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    # -- PSTR seed "Core Strategy Settings"
    total_capital: Decimal = Field(default=_SEED.total_capital, gt=0)
    accumulation_period: int = Field(default=_SEED.accumulation_period, ge=1, description="days")
    treasury_allocation: Decimal = Field(default=_SEED.treasury_allocation, ge=0, le=1)
    liquidity_allocation: Decimal = Field(default=_SEED.liquidity_allocation, ge=0, le=1)
    trigger_threshold: Decimal = Field(default=_SEED.trigger_threshold, gt=0, lt=1)
    cooldown_hours: Decimal = Field(default=_SEED.cooldown_hours, ge=0)
    # -- PSTR seed "Risk Management Settings"
    min_reserve_ratio: Decimal = Field(default=_SEED.min_reserve_ratio, gt=0)
    max_pump_concentration: Decimal = Field(default=_SEED.max_pump_concentration, gt=0, lt=1)
    max_daily_interventions: int = Field(default=_SEED.max_daily_interventions, ge=0)
    max_deployment: Decimal = Field(default=_SEED.max_deployment, gt=0, le=1)
    min_rr_threshold: Decimal = Field(default=_SEED.min_rr_threshold, gt=0)
    # -- the seed's prose numbers (see StrategyParams)
    reduced_rr_threshold: Decimal = Field(default=_SEED.reduced_rr_threshold, gt=0)
    reduced_deployment_factor: Decimal = Field(default=_SEED.reduced_deployment_factor, ge=0, le=1)
    slippage_cap: Decimal = Field(default=_SEED.slippage_cap, ge=0, lt=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors = check(self.params())
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def params(self) -> StrategyParams:
        """Every field here is a StrategyParams field of the same name; the rest keep the seed's."""
        return StrategyParams(**self.model_dump())


def strategy_from_env(**overrides: Any) -> StrategySettings:
    """StrategySettings from the environment; a bad value raises ValueError with one line naming
    the `BALLAST_STRATEGY_*` key (services' `load_settings` prints it and exits)."""
    try:
        return StrategySettings(**overrides)
    except ValidationError as err:
        parts: list[str] = []
        for e in err.errors():
            loc = ".".join(str(p) for p in e["loc"]).upper()
            msg = e["msg"].removeprefix("Value error, ")
            parts.append(f"{PREFIX}{loc} {msg}" if loc else f"configuration error: {msg}")
        raise ValueError("; ".join(parts)) from None
