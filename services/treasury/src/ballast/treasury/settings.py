"""Treasury settings: BALLAST_TREASURY_<KEY>, keys named as the PSTR seed's config and
risk_config, with the seed's defaults. A value out of range stops the service with one line
(ballast.common.settings.load_settings).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import ClassVar, Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from ballast.common.settings import ServiceSettings
from ballast.treasury.domain.params import StrategyParams
from ballast.treasury.domain.state import Symbols

Fraction = Field(ge=0, le=1)


class TreasurySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="BALLAST_TREASURY_", extra="ignore", frozen=True
    )
    service_name: ClassVar[str] = "treasury"

    # -- PSTR seed "Core Strategy Settings"
    total_capital: Decimal = Field(default=Decimal(1_000_000), gt=0)
    accumulation_period: int = Field(default=365, ge=1, description="days")
    treasury_allocation: Decimal = Field(default=Decimal("0.90"), ge=0, le=1)
    liquidity_allocation: Decimal = Field(default=Decimal("0.10"), ge=0, le=1)
    trigger_threshold: Decimal = Field(default=Decimal("0.85"), gt=0, lt=1)
    cooldown_hours: int = Field(default=48, ge=0)
    # -- PSTR seed "Risk Management Settings"
    min_reserve_ratio: Decimal = Field(default=Decimal("3.0"), gt=0)
    max_pump_concentration: Decimal = Field(default=Decimal("0.80"), gt=0, lt=1)
    max_daily_interventions: int = Field(default=1, ge=0)
    max_deployment: Decimal = Field(default=Decimal("0.40"), gt=0, le=1)
    min_rr_threshold: Decimal = Field(default=Decimal("1.5"), gt=0)
    # -- PSTR seed "Safety Mechanisms" (reduced deployment if RR < 2.0; the size is ours)
    reduced_rr_threshold: Decimal = Field(default=Decimal("2.0"), gt=0)
    reduced_deployment_factor: Decimal = Field(default=Decimal("0.5"), ge=0, le=1)

    # -- schedules (PSTR seed "Monitoring & Alerting")
    state_interval_seconds: float = Field(default=300, gt=0, description="5-minute cycles")
    state_debounce_seconds: float = Field(default=0.25, ge=0)
    chain_interval_seconds: float = Field(default=15, gt=0)
    accumulation_interval_seconds: float = Field(default=3600, gt=0, description="hourly")
    liquidity_interval_seconds: float = Field(default=86_400, gt=0, description="daily")
    performance_interval_seconds: float = Field(default=21_600, gt=0, description="6 hours")
    risk_interval_seconds: float = Field(default=7200, gt=0, description="2 hours")

    # -- inputs
    max_price_age_seconds: float = Field(default=300, gt=0)
    pstr_symbol: str = "PSTR"
    pump_symbol: str = "PUMP"
    usd_quote_symbols: frozenset[str] = frozenset({"USDC"})
    price_aliases: dict[str, str] = Field(
        default_factory=lambda: {"CORE": "WCORE", "WCORE": "CORE"},
        description="where a token's price is published under another symbol",
    )
    risk_min_samples: int = Field(default=20, ge=2)
    success_window_hours: float = Field(default=24, gt=0)
    liquidity_targets: dict[str, Decimal] = Field(
        default_factory=lambda: {"PUMP-WCORE": Decimal("0.60"), "PSTR-USDC": Decimal("0.40")},
        description="pool pair -> target weight: the seed's SOL pool is the WCORE pool",
    )

    # -- chain (adapters/chain.py)
    rpc_url: str | None = None
    deployment_file: Path | None = Field(default=None, description="deployment.json")
    treasury_address: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.treasury_allocation + self.liquidity_allocation > 1:
            raise ValueError("treasury_allocation + liquidity_allocation must not exceed 1")
        if not self.min_rr_threshold < self.reduced_rr_threshold <= self.min_reserve_ratio:
            raise ValueError(
                "need min_rr_threshold < reduced_rr_threshold <= min_reserve_ratio"
            )
        if self.liquidity_targets and sum(self.liquidity_targets.values()) != 1:
            raise ValueError("liquidity_targets weights must sum to 1")
        return self

    def params(self) -> StrategyParams:
        return StrategyParams(
            total_capital=self.total_capital,
            accumulation_period=self.accumulation_period,
            treasury_allocation=self.treasury_allocation,
            liquidity_allocation=self.liquidity_allocation,
            trigger_threshold=self.trigger_threshold,
            cooldown_hours=self.cooldown_hours,
            min_reserve_ratio=self.min_reserve_ratio,
            max_pump_concentration=self.max_pump_concentration,
            max_daily_interventions=self.max_daily_interventions,
            max_deployment=self.max_deployment,
            min_rr_threshold=self.min_rr_threshold,
            reduced_rr_threshold=self.reduced_rr_threshold,
            reduced_deployment_factor=self.reduced_deployment_factor,
        )

    def symbols(self) -> Symbols:
        return Symbols(self.pstr_symbol, self.pump_symbol, dict(self.price_aliases))
