"""Contract monitor settings: `BALLAST_CONTRACT_MONITOR_*` from the environment.

Contract addresses come from the deployment file `ballast up` names in `DEPLOYMENT_FILE` (keys
`etf.*`, `governance.*`, `multicall3` of deployment.json), or each from its own variable, which
wins over the file. The StakeBasket suite is required; governance is watched when a governor is
known. Multicall3 is used when it has code at its address, else reads go as one JSON-RPC batch.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from ballast.common.deployment import addresses_from_deployment
from ballast.common.settings import ServiceSettings

HexAddress = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]

_FROM_DEPLOYMENT = {
    "stake_basket": "etf.stake_basket",
    "basket_token": "etf.token",
    "staking_manager": "etf.staking_manager",
    "unbonding_queue": "etf.unbonding_queue",
    "price_feed": "etf.price_feed",
    "corebtc": "etf.corebtc",
    "governor": "governance.governor",
    "timelock": "governance.timelock",
    "governance_token": "governance.token",
    "strategy_parameters": "governance.parameters",
    "multicall3": "multicall3",
}
REQUIRED = ("stake_basket", "basket_token", "staking_manager", "unbonding_queue", "price_feed",
            "corebtc")


class ContractMonitorSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BALLAST_CONTRACT_MONITOR_")
    service_name: ClassVar[str] = "contract-monitor"

    rpc_url: str = Field(pattern=r"^https?://", description="EVM JSON-RPC endpoint (HTTP)")
    rpc_timeout_seconds: float = Field(default=30.0, gt=0)
    deployment_file: Path | None = None
    stake_basket: HexAddress | None = None
    basket_token: HexAddress | None = None
    staking_manager: HexAddress | None = None
    unbonding_queue: HexAddress | None = None
    price_feed: HexAddress | None = None
    corebtc: HexAddress | None = None
    governor: HexAddress | None = None
    timelock: HexAddress | None = None
    governance_token: HexAddress | None = None
    strategy_parameters: HexAddress | None = Field(
        default=None, description="StrategyParameters: each ParameterChanged is published on "
        "governance.parameters (watched with the governor)")
    multicall3: HexAddress | None = "0xcA11bde05977b3631167028862bE2a173976CA11"
    poll_interval_seconds: float = Field(default=3.0, gt=0, description="one Core block")
    confirmations: int = Field(default=3, ge=0, description="blocks behind head we index")
    block_range: int = Field(default=2000, ge=1, description="blocks per eth_getLogs")
    start_block: int = Field(default=0, ge=0, description="first block indexed on a new cursor")
    reorg_window_blocks: int = Field(default=512, ge=1, description="block hashes kept")
    metrics_every_blocks: int = Field(default=1, ge=1, description="read the suite every N")
    invariant_tolerance: Decimal = Field(default=Decimal("0.000001"), ge=0, lt=1)
    loss_event_names: list[str] = Field(
        default_factory=list[str],
        description="events that may lower NAV at fixed prices (none in the current suite)")
    block_seconds: float = Field(default=3.0, gt=0, description="for deadlines in blocks")

    @model_validator(mode="before")
    @classmethod
    def _addresses_from_deployment(cls, data: Any) -> Any:
        return addresses_from_deployment(data, _FROM_DEPLOYMENT)

    @model_validator(mode="after")
    def _suite_known(self) -> ContractMonitorSettings:
        missing = [n for n in REQUIRED if not getattr(self, n)]
        if missing:
            raise ValueError(
                "set DEPLOYMENT_FILE or the StakeBasket suite addresses: " + ", ".join(missing))
        return self
