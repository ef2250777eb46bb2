"""Validator monitor settings: `BALLAST_VALIDATOR_MONITOR_*` from the environment.

Only the RPC URL is required: the system contract addresses default to Core's real ones
(REFERENCE.md "Core DAO chain"), so the same settings watch mainnet (chain 1116), testnet2 (1114)
or the devnet, whose stand-ins sit at the same addresses. "Our delegation" is the StakingManager's:
its address comes from `STAKING_MANAGER`, else from `etf.staking_manager` of the deployment file
that `ballast up` names in `DEPLOYMENT_FILE`; without either the monitor still watches every
validator and reports our delegation as zero.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from ballast.common.deployment import addresses_from_deployment
from ballast.common.settings import ServiceSettings

HexAddress = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]


class ValidatorMonitorSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BALLAST_VALIDATOR_MONITOR_")
    service_name: ClassVar[str] = "validator-monitor"

    rpc_url: str = Field(pattern=r"^(https?|wss?)://", description="Core JSON-RPC endpoint")
    rpc_timeout_seconds: float = Field(default=10.0, gt=0)
    rpc_concurrency: int = Field(default=16, ge=1, description="eth_calls in flight per poll")
    validator_set: HexAddress = "0x0000000000000000000000000000000000001000"
    slash_indicator: HexAddress = "0x0000000000000000000000000000000000001001"
    candidate_hub: HexAddress = "0x0000000000000000000000000000000000001005"
    stake_hub: HexAddress = "0x0000000000000000000000000000000000001010"
    core_agent: HexAddress = "0x0000000000000000000000000000000000001011"
    multicall3: HexAddress = "0xcA11bde05977b3631167028862bE2a173976CA11"
    use_multicall: bool = Field(
        default=True, description="batch views through Multicall3 when the chain has it")
    staking_manager: HexAddress | None = Field(
        default=None, description="our delegator; read from deployment_file when not set")
    deployment_file: Path | None = None
    poll_interval_seconds: float = Field(default=6.0, gt=0, description="two Core blocks")
    confirmations: int = Field(default=3, ge=0, description="blocks behind head we read at")
    epoch_blocks: int = Field(default=200, ge=1, description="Core: 200 blocks per epoch")
    near_threshold_fraction: float = Field(
        default=0.8, gt=0, le=1,
        description="missed blocks this fraction of the misdemeanor threshold count as near")
    max_log_range: int = Field(default=2000, ge=1, description="blocks per eth_getLogs")

    @model_validator(mode="before")
    @classmethod
    def _staking_manager_from_deployment(cls, data: Any) -> Any:
        return addresses_from_deployment(
            data, {"staking_manager": "etf.staking_manager"}, required=("staking_manager",))
