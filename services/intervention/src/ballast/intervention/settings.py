"""Intervention settings: BALLAST_INTERVENTION_* (PSTR seed keys and defaults, plus execution).

Paper (dry-run) mode is the default. Live mode needs `mode=live` AND a signing key: a keystore file
with its password file, or a remote signer URL with the account address. Anything missing stops
the service at start with one line naming the key (ballast.common.settings.load_settings).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from ballast.common.deployment import DeploymentFile
from ballast.common.messages import ExecutionMode
from ballast.common.operators import OperatorIdentities
from ballast.common.settings import ServiceSettings
from ballast.intervention.building import ExecConfig
from ballast.intervention.domain.custody import CustodyConfig
from ballast.intervention.legs import PoolConfig
from ballast.intervention.legs_v3 import ConcentratedPool
from ballast.strategy.basket import INSTANT_BUFFER_SHARE
from ballast.strategy.policy import Policy
from ballast.strategy.routing import route
from ballast.strategy.settings import StrategySettings, strategy_from_env

ADDRESS = r"^0x[0-9a-fA-F]{40}$"


def _via(deployment: dict[str, Any]) -> str | None:
    """The intermediate of the USDC -> PUMP route through the deployment's pools, if needed."""
    tokens = deployment["tokens"]
    if "USDC" not in tokens:
        return None
    pools = [(p["token0"], p["token1"]) for p in deployment.get("pools", {}).values()]
    path = route(pools, tokens["USDC"]["address"], tokens["PUMP"]["address"],
                 avoid=[tokens["PSTR"]["address"]])
    return path[1] if path is not None and len(path) == 3 else None


def _v3_pools(deployment: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """The deployment's concentrated-liquidity pools, each with the contracts that trade it."""
    v3 = deployment.get("uniswap_v3")
    if not v3:
        return None
    contracts = {"position_manager": v3["position_manager"], "router": v3["router"]}
    return {name: {**pool, **contracts} for name, pool in v3["pools"].items()} or None


def _custody(deployment: dict[str, Any]) -> dict[str, Any]:
    c = deployment.get("custody") or {}
    return {"custody_safe_address": c.get("safe"), "custody_roles_address": c.get("roles"),
            "custody_role": c.get("role"), "custody_multisend_address": c.get("multisend")}


class InterventionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BALLAST_INTERVENTION_")
    service_name: ClassVar[str] = "intervention"

    strategy: str = Field(default="pstr", pattern=r"^[a-z0-9_\-]+$")
    strategy_params: StrategySettings = Field(
        default_factory=strategy_from_env,
        description="the strategy's keys, shared with every service: BALLAST_STRATEGY_*",
    )
    max_state_age_seconds: int = Field(default=900, gt=0)
    pump_symbol: str = "PUMP"

    # --- execution
    mode: ExecutionMode = ExecutionMode.DRY_RUN
    rpc_url: str = "http://127.0.0.1:8545"
    private_rpc_url: str | None = Field(default=None, description="MEV-protected submission RPC")
    keystore_path: Path | None = None
    keystore_password_file: Path | None = None
    remote_signer_url: str | None = None
    remote_signer_address: str | None = Field(default=None, pattern=ADDRESS)
    router_address: str | None = Field(default=None, pattern=ADDRESS)
    pump_address: str | None = Field(default=None, pattern=ADDRESS)
    pstr_address: str | None = Field(default=None, pattern=ADDRESS)
    accumulate_token_address: str | None = Field(default=None, pattern=ADDRESS)
    accumulate_via_address: str | None = Field(
        default=None, pattern=ADDRESS,
        description="an intermediate token of the accumulation's path when there is no direct "
        "pool (from deployment.json: the devnet routes USDC -> WCORE -> PUMP)",
    )
    basket_address: str | None = Field(default=None, pattern=ADDRESS)
    treasury_address: str | None = Field(
        default=None, pattern=ADDRESS, description="the treasury account a dry run reads"
    )
    custody_safe_address: str | None = Field(
        default=None, pattern=ADDRESS, description="the Safe holding the treasury: with the "
        "Roles modifier and role, the key acts only through the modifier (deployment `custody`)",
    )
    custody_roles_address: str | None = Field(default=None, pattern=ADDRESS)
    custody_role: str | None = Field(default=None, min_length=1, max_length=32)
    custody_multisend_address: str | None = Field(
        default=None, pattern=ADDRESS, description="MultiSendCallOnly, unwrapped by the modifier: "
        "the V3 remove goes there as a batch checked call by call (without it: refused)")
    liquidity_pools: dict[str, dict[str, str]] = Field(
        default_factory=dict[str, dict[str, str]],
        description='liquidity pools by name: {"PUMP-WCORE": {"pair", "token0", "token1"}} '
        "(addresses, tokens in the pair's order); from the deployment file when unset",
    )
    concentrated_pools: dict[str, dict[str, str | int]] = Field(
        default_factory=dict[str, dict[str, str | int]],
        description='concentrated-liquidity (Uniswap V3) pools by name: {"PSTR-USDC-V3": {"pool", '
        '"token0", "token1", "fee", "tick_spacing", "position_manager", "router"}}; a liquidity '
        "action naming one mints the ±10% band there; from the deployment file when unset",
    )
    strategy_parameters_address: str | None = Field(
        default=None, pattern=ADDRESS,
        description="StrategyParameters (governance-owned strategy numbers): read at start and "
        "followed on governance.parameters; BALLAST_STRATEGY_* are then only the bootstrap "
        "defaults. From deployment.json (governance.parameters) when unset",
    )
    deployment_file: Path | None = Field(
        default=None,
        description="deployment.json of `ballast deploy devnet` (set by `ballast up`): fills the "
        "router, PUMP, PSTR, USDC (accumulation) and StakeBasket addresses not set explicitly",
    )
    max_fee_per_gas_gwei: Decimal = Field(default=Decimal(200), gt=0)
    max_priority_fee_gwei: Decimal = Field(default=Decimal(2), ge=0)
    confirmations: int = Field(default=3, ge=1)
    deadline_seconds: int = Field(default=600, gt=0)
    stuck_after_seconds: int = Field(default=180, gt=0)
    executor_interval_seconds: float = Field(default=2.0, gt=0)
    executor_enabled: bool = Field(
        default=True, description="false: decide and record only (a replica that never sends)"
    )
    approval_threshold_usd: Decimal | None = Field(default=None, ge=0)
    approval_delay_seconds: int | None = Field(default=None, ge=0)
    decision_ttl_seconds: int = Field(
        default=6 * 3600, gt=0, description="an unsigned decision older than this expires"
    )
    decision_fresh_seconds: int | None = Field(
        default=30, gt=0, description="an intervention no operator approves, still unsigned "
        "this long after its decision, expires: it was decided on an old state (none: only "
        "decision_ttl_seconds)",
    )

    # --- automation (StakeBasket seed AutomationEngine; PSTR seed "Hourly accumulation")
    accumulate_token_symbol: str = Field(
        default="USDC", description="what the hourly accumulation pays with (consensus-priced)"
    )
    accumulate_token_decimals: int = Field(default=6, ge=0, le=36)
    rebalance_interval_seconds: int = Field(default=3600, gt=0)
    compound_min_rewards_usd: Decimal | None = Field(
        default=Decimal(0), ge=0, description="compound when rewards exceed this; unset: never"
    )
    compound_interval_seconds: int = Field(default=86_400, gt=0, description="one Core round")
    etf_buffer_share: Decimal = Field(
        default=INSTANT_BUFFER_SHARE, ge=0, lt=1,
        description="StakeBasket instant-withdrawal buffer kept liquid, share of each asset",
    )
    basket_actions: bool = Field(
        default=True, description="stake above the buffer and fund the withdrawal queue"
    )
    stake_interval_seconds: int = Field(default=3600, gt=0)
    large_deposit_usd: Decimal = Field(default=Decimal(10_000), ge=0)
    fund_interval_seconds: int = Field(default=300, gt=0)

    # --- control
    operator_identities: OperatorIdentities = Field(
        default=(), description="who may pause, resume, approve: 0x addresses (the command "
        "signed by that key, ballast.common.operators) or issued_by names (the gateway token)")

    @model_validator(mode="before")
    @classmethod
    def _addresses_from_deployment(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data.get("deployment_file"):
            return data
        values: dict[str, Any] = dict(data)  # type: ignore[arg-type]
        path = Path(str(values["deployment_file"]))
        try:
            deployment = DeploymentFile.read(path).model_dump()
            tokens = deployment["tokens"]
            found = {
                "router_address": deployment["uniswap"]["router"],
                "pump_address": tokens["PUMP"]["address"],
                "pstr_address": tokens["PSTR"]["address"],
                "accumulate_token_address": tokens.get("USDC", {}).get("address"),
                "accumulate_token_decimals": tokens.get("USDC", {}).get("decimals"),
                "basket_address": deployment.get("etf", {}).get("stake_basket"),
                "accumulate_via_address": _via(deployment),
                "treasury_address": deployment.get("treasury"),
                "liquidity_pools": deployment.get("pools") or None,
                "concentrated_pools": _v3_pools(deployment),
                "strategy_parameters_address": deployment.get("governance", {}).get(
                    "parameters"),
                **_custody(deployment),
            }
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ValueError(f"DEPLOYMENT_FILE {path}: unreadable ({err!r})") from None
        for key, value in found.items():
            if value is not None and values.get(key) is None:
                values[key] = value
        return values

    @model_validator(mode="after")
    def _live_needs_key_and_contracts(self) -> InterventionSettings:
        if self.mode is not ExecutionMode.LIVE:
            return self
        keystore = self.keystore_path is not None and self.keystore_password_file is not None
        remote = self.remote_signer_url is not None and self.remote_signer_address is not None
        if not (keystore or remote):
            raise ValueError(
                "mode=live needs KEYSTORE_PATH and KEYSTORE_PASSWORD_FILE, or REMOTE_SIGNER_URL "
                "and REMOTE_SIGNER_ADDRESS"
            )
        for name in ("router_address", "pump_address", "pstr_address"):
            if getattr(self, name) is None:
                raise ValueError(f"mode=live needs {name.upper()}")
        return self

    @model_validator(mode="after")
    def _custody_whole(self) -> InterventionSettings:
        given = [self.custody_safe_address, self.custody_roles_address, self.custody_role]
        if any(v is not None for v in given) and None in given:
            raise ValueError("custody needs CUSTODY_SAFE_ADDRESS, CUSTODY_ROLES_ADDRESS and "
                             "CUSTODY_ROLE together")
        return self

    def custody(self) -> CustodyConfig | None:
        if not (self.custody_safe_address and self.custody_roles_address and self.custody_role):
            return None
        return CustodyConfig(self.custody_safe_address, self.custody_roles_address,
                             self.custody_role, self.custody_multisend_address)

    def policy(self) -> Policy:
        return Policy(
            params=self.strategy_params.params(),
            strategy=self.strategy,
            max_state_age_seconds=self.max_state_age_seconds,
            approval_threshold_usd=self.approval_threshold_usd,
            pump_symbol=self.pump_symbol,
        )

    def exec_config(self) -> ExecConfig:
        zero = "0x" + "00" * 20
        gwei = Decimal(10**9)
        return ExecConfig(
            router=self.router_address or zero,
            pump=self.pump_address or zero,
            pstr=self.pstr_address or zero,
            accumulate_token=self.accumulate_token_address,
            accumulate_via=(
                (self.accumulate_via_address,) if self.accumulate_via_address else ()
            ),
            basket=self.basket_address,
            max_slippage=self.strategy_params.slippage_cap,
            deadline_seconds=self.deadline_seconds,
            max_fee_per_gas_wei=int(self.max_fee_per_gas_gwei * gwei),
            max_priority_fee_wei=int(self.max_priority_fee_gwei * gwei),
            confirmations=self.confirmations,
            stuck_after=timedelta(seconds=self.stuck_after_seconds),
            approval_delay=(
                timedelta(seconds=self.approval_delay_seconds)
                if self.approval_delay_seconds is not None
                else None
            ),
            decision_ttl=timedelta(seconds=self.decision_ttl_seconds),
            decision_fresh=(timedelta(seconds=self.decision_fresh_seconds)
                            if self.decision_fresh_seconds is not None else None),
            pools={
                **{name: PoolConfig(p["pair"], p["token0"], p["token1"])
                   for name, p in self.liquidity_pools.items()},
                **{name: ConcentratedPool(str(p["pool"]), str(p["token0"]), str(p["token1"]),
                                          int(p["fee"]), int(p["tick_spacing"]),
                                          str(p["position_manager"]), str(p["router"]))
                   for name, p in self.concentrated_pools.items()},
            },
            owner=self.custody_safe_address or self.treasury_address,
            params=self.strategy_params.params(),
            custody=self.custody(),
            buffer_share=self.etf_buffer_share,
        )
