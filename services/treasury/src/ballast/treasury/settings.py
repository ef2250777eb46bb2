"""Treasury settings: BALLAST_TREASURY_<KEY>; the strategy's own keys (the PSTR seed's config
and risk_config) are BALLAST_STRATEGY_<KEY>, shared with the intervention service
(ballast.strategy.settings). A value out of range stops the service with one line
(ballast.common.settings.load_settings).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from ballast.common.deployment import addresses_from_deployment
from ballast.common.settings import ServiceSettings
from ballast.strategy.liquidity import LIQUIDITY_POOLS
from ballast.strategy.params import StrategyParams
from ballast.strategy.settings import StrategySettings, strategy_from_env
from ballast.treasury.domain.state import Symbols


class TreasurySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BALLAST_TREASURY_")
    service_name: ClassVar[str] = "treasury"

    strategy_params: StrategySettings = Field(
        default_factory=strategy_from_env,
        description="the strategy's keys, shared with every service: BALLAST_STRATEGY_*",
    )

    # -- schedules (PSTR seed "Monitoring & Alerting")
    state_interval_seconds: float = Field(default=300, gt=0, description="5-minute cycles")
    state_debounce_seconds: float = Field(default=0.25, ge=0)
    chain_interval_seconds: float = Field(default=15, gt=0)
    accumulation_interval_seconds: float = Field(default=3600, gt=0, description="hourly")
    liquidity_interval_seconds: float = Field(default=86_400, gt=0, description="daily")
    liquidity_actions: bool = Field(
        default=True,
        description="ask the intervention service to add each pool's budget and rebalance a "
        "band past 15% (it executes them dry-run unless it runs live)",
    )
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
    liquidity_pools: tuple[str, str] = Field(
        default=LIQUIDITY_POOLS,
        description="the seed's primary (SOL, here WCORE) and stable (USDC) pools, in the order "
        "of the strategy's liquidity_split (60/40); a concentrated-liquidity pool the deployment "
        "names under uniswap_v3 (the devnet's PSTR-USDC-V3) may take a place: its position NFTs "
        "are then read and its ±10% band added and rebalanced",
    )

    # -- chain (adapters/chain.py)
    rpc_url: str | None = None
    deployment_file: Path | None = Field(default=None, description="deployment.json")
    treasury_address: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")
    strategy_parameters_address: str | None = Field(
        default=None, pattern=r"^0x[0-9a-fA-F]{40}$",
        description="StrategyParameters (governance-owned strategy numbers): read at start and "
        "followed on governance.parameters (parameters.py); from deployment.json when unset",
    )

    @model_validator(mode="before")
    @classmethod
    def _parameters_from_deployment(cls, data: Any) -> Any:
        return addresses_from_deployment(
            data, {"strategy_parameters_address": "governance.parameters"})

    def params(self) -> StrategyParams:
        return self.strategy_params.params()

    def liquidity_targets(self) -> dict[str, Decimal]:
        """Pool pair -> target weight (seed 6: 60% primary, 40% stable)."""
        return dict(zip(self.liquidity_pools, self.params().liquidity_split, strict=True))

    def symbols(self) -> Symbols:
        return Symbols(self.pstr_symbol, self.pump_symbol, dict(self.price_aliases))
