"""Oracle settings: `BALLAST_ORACLE_*` from the environment, sources configured per symbol.

Per-symbol configuration is JSON, either in `BALLAST_ORACLE_SYMBOLS` or in the file named by
`BALLAST_ORACLE_CONFIG_FILE` (`{"symbols": {...}}`). Defaults are the PSTR seed's oracle_config
(max_price_deviation 0.05, confidence_weight 0.3, Pyth endpoint https://hermes.pyth.network);
any subset of sources per symbol:

    {"symbols": {"PSTR": {"min_sources": 2, "sources": [
        {"kind": "pyth_hermes", "feed_id": "0x...", "api_key": "..."},
        {"kind": "switchboard_crossbar", "feed_hash": "0x..."},
        {"kind": "chainlink", "rpc_url": "...", "address": "0x...", "heartbeat_seconds": 3600},
        {"kind": "uniswap_v2", "rpc_url": "...", "pair": "0x...", "base_token": "0x...",
         "venue": "icecream", "window_seconds": 1800}]}}}

Per symbol, the checks of issue #17 (README "Consensus"): `anchor_source` (default: the
symbol's chainlink source; "" for none), `anchor_max_move` (0.10), `anchor_hold_seconds`
(3600), `slow_average_seconds` (off) and `emergency_source` (a source name, off).
`operator_identities` may confirm a moved price over `control.approve`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from ballast.common.operators import OperatorIdentities
from ballast.common.settings import ServiceSettings, from_json_file
from ballast.oracle.domain.policy import AnchorConfig, ConsensusConfig, SourcePolicy

HexAddress = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
Hex32 = Annotated[str, Field(pattern=r"^(0x)?[0-9a-fA-F]{64}$")]
Token = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]+$", max_length=32)]


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    default_name: ClassVar[str] = "source"

    name: Token | None = Field(default=None, description="label in subjects and metrics")
    max_age_seconds: float = Field(default=60.0, gt=0)
    min_price: Decimal | None = Field(default=None, ge=0)
    max_price: Decimal | None = Field(default=None, gt=0)
    max_conf_ratio: Decimal | None = Field(default=Decimal("0.02"), gt=0)
    poll_seconds: float = Field(default=2.0, gt=0)
    min_confirmations: int = Field(default=0, ge=0)
    timeout_seconds: float = Field(default=5.0, gt=0)

    @property
    def label(self) -> str:
        return self.name or self.default_name

    def policy(self) -> SourcePolicy:
        return SourcePolicy(
            max_age=timedelta(seconds=self.max_age_seconds),
            min_price=self.min_price,
            max_price=self.max_price,
            max_conf_ratio=self.max_conf_ratio,
            min_confirmations=self.min_confirmations,
        )


class PythHermesSource(_Source):
    default_name: ClassVar[str] = "pyth"
    kind: Literal["pyth_hermes"]
    endpoint: str = "https://hermes.pyth.network"
    feed_id: Hex32
    api_key: SecretStr | None = None
    stream: bool = True


class SwitchboardCrossbarSource(_Source):
    default_name: ClassVar[str] = "switchboard"
    kind: Literal["switchboard_crossbar"]
    endpoint: str = "https://crossbar.switchboard.xyz"
    feed_hash: Hex32


class _Chain(_Source):
    rpc_url: str
    address: HexAddress


class PythOnchainSource(_Chain):
    default_name: ClassVar[str] = "pyth_onchain"
    kind: Literal["pyth_onchain"]
    feed_id: Hex32


class SwitchboardOnchainSource(_Chain):
    default_name: ClassVar[str] = "switchboard_onchain"
    kind: Literal["switchboard_onchain"]
    feed_id: Hex32


class ChainlinkSource(_Chain):
    """Staleness is the feed's own heartbeat plus a grace (REFERENCE.md "Chainlink")."""

    default_name: ClassVar[str] = "chainlink"
    kind: Literal["chainlink"]
    heartbeat_seconds: float = Field(gt=0)
    heartbeat_grace_seconds: float = Field(default=60.0, ge=0)

    def policy(self) -> SourcePolicy:
        base = super().policy()
        return SourcePolicy(
            max_age=timedelta(seconds=self.heartbeat_seconds + self.heartbeat_grace_seconds),
            min_price=base.min_price, max_price=base.max_price,
            max_conf_ratio=base.max_conf_ratio, min_confirmations=base.min_confirmations,
        )


class UniswapV2Source(_Source):
    """A Uniswap V2 pair: TWAP over `window_seconds` and Swap events as trades."""

    default_name: ClassVar[str] = "dex_twap"
    kind: Literal["uniswap_v2"]
    rpc_url: str
    pair: HexAddress
    base_token: HexAddress
    venue: Token = "uniswap_v2"
    pair_name: Token | None = Field(default=None, description="BASE-QUOTE; default from symbols")
    quote_symbol: Token = "USD"
    window_seconds: int = Field(default=1800, gt=0)
    twap_bootstrap: bool = Field(
        default=True, description="sample one window back at start (needs that state)")
    min_confirmations: int = Field(default=1, ge=0)
    trades: bool = True
    trade_confirmations: int = Field(default=2, ge=0)
    max_conf_ratio: Decimal | None = None


SourceSettings = Annotated[
    PythHermesSource | SwitchboardCrossbarSource | PythOnchainSource | SwitchboardOnchainSource
    | ChainlinkSource | UniswapV2Source,
    Field(discriminator="kind"),
]


class SymbolSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_sources: int = Field(default=2, ge=1)
    max_price_deviation: Decimal = Field(default=Decimal("0.05"), gt=0)
    confidence_weight: Decimal = Field(default=Decimal("0.3"), ge=0, le=1)
    jump_threshold: Decimal = Field(default=Decimal("0.10"), gt=0)
    jump_confirm_tolerance: Decimal = Field(default=Decimal("0.02"), gt=0)
    jump_confirm_seconds: float = Field(default=1.0, ge=0)
    anchor_source: str | None = Field(
        default=None, description="the slow reference of the correlated-move defence; default "
        "the symbol's chainlink source, \"\" for none")
    anchor_max_move: Decimal = Field(default=Decimal("0.10"), gt=0)
    anchor_hold_seconds: float = Field(default=3600.0, gt=0)
    slow_average_seconds: float | None = Field(
        default=None, gt=0, description="EMA of the OK consensus, the reference while the "
        "anchor is not fresh (off by default)")
    emergency_source: str | None = Field(
        default=None, description="a source consulted only when the quorum fails")
    sources: list[SourceSettings] = Field(default_factory=list[SourceSettings])

    @model_validator(mode="after")
    def _unique_labels(self) -> SymbolSettings:
        labels = [s.label for s in self.sources]
        if len(set(labels)) != len(labels):
            raise ValueError(f"source names must be unique per symbol: {labels}")
        for role, name in (("anchor_source", self.anchor_source),
                           ("emergency_source", self.emergency_source)):
            if name and name not in labels:
                raise ValueError(f"{role} {name!r} is not one of this symbol's sources {labels}")
        if self.emergency_source and self.emergency_source == self.anchor:
            raise ValueError("the emergency source cannot also be the anchor")
        return self

    @property
    def anchor(self) -> str | None:
        if self.anchor_source is not None:
            return self.anchor_source or None
        return next((s.label for s in self.sources if isinstance(s, ChainlinkSource)), None)

    def consensus(self) -> ConsensusConfig:
        return ConsensusConfig(
            min_sources=self.min_sources,
            max_price_deviation=self.max_price_deviation,
            confidence_weight=self.confidence_weight,
            jump_threshold=self.jump_threshold,
            jump_confirm_tolerance=self.jump_confirm_tolerance,
            jump_confirm_after=timedelta(seconds=self.jump_confirm_seconds),
            anchor=AnchorConfig(
                source=self.anchor,
                max_move=self.anchor_max_move,
                hold=timedelta(seconds=self.anchor_hold_seconds),
                slow_average=None if self.slow_average_seconds is None
                else timedelta(seconds=self.slow_average_seconds),
            ),
            emergency_source=self.emergency_source,
        )


def _symbols_of(loaded: Any) -> Any:
    """The `symbols` of the oracle's config file (none when the file is not an object)."""
    return loaded.get("symbols", {}) if isinstance(loaded, dict) else {}


class OracleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BALLAST_ORACLE_")
    service_name: ClassVar[str] = "oracle"

    config_file: Path | None = None
    symbols: dict[Token, SymbolSettings] = Field(default_factory=dict[str, SymbolSettings])
    evaluate_seconds: float = Field(default=1.0, gt=0, description="staleness re-check period")
    consensus_heartbeat_seconds: float = Field(default=30.0, gt=0)
    consensus_min_change: Decimal = Field(
        default=Decimal("0.0001"), ge=0, lt=1,
        description="publish a consensus whose price moved at least this much (relative, 1 bp "
        "by default) from the last published one, or whose status or sources changed; smaller "
        "moves wait for the heartbeat. 0 publishes every move")
    startup_grace_seconds: float = Field(
        default=10.0, ge=0,
        description="after a start, no consensus until every source answered once or this long")
    operator_identities: OperatorIdentities = Field(
        default=(), description="who may confirm a moved price over control.approve: 0x addresses "
        "(signed by that key, ballast.common.operators) or issued_by names")
    db_flush_seconds: float = Field(default=0.5, gt=0)
    db_batch_rows: int = Field(default=5000, ge=1)
    db_max_buffered_rows: int = Field(default=500_000, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _symbols_from_file(cls, data: Any) -> Any:
        return from_json_file(data, "config_file", "symbols", _symbols_of)
