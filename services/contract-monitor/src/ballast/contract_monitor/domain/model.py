"""Typed inputs of the domain: decoded logs, one raw read of the StakeBasket suite, and the
monitor's configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class DecodedLog:
    """One log of a watched contract, decoded (integers as decimal strings, as on the bus)."""

    address: str
    event_name: str
    args: dict[str, str]
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    args_json: str = ""
    """`args` as compact JSON when the decoder wrote it already (the store's jsonb and the bus
    message both use it); empty: not written yet (abi.args_json writes it)."""


@dataclass(frozen=True, slots=True)
class StoredLog:
    """A decoded log as the monitor keeps it: which side it watches and its event kind."""

    log: DecodedLog
    source: str  # etf | governance
    kind: str


@dataclass(frozen=True, slots=True)
class FeedRaw:
    """PriceFeed.tryGetPrice(symbol) at the read block."""

    symbol: str
    ok: bool
    price18: int
    updated_at: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ValidatorAllocation:
    validator: str
    staked_raw: int
    current_bps: int
    target_bps: int


@dataclass(frozen=True)
class EtfReading:
    """Everything one read of the suite returns at `block_number`, in contract units.

    USD figures are 18-decimal integers (StakeBasket.aumBreakdown), CORE amounts 18 decimals,
    coreBTC/lstBTC 8 decimals, prices USD per whole token with 18 decimals.
    """

    block_number: int
    block_timestamp: datetime
    core_price: int
    btc_price: int
    core_staked_usd: int
    lstbtc_usd: int
    rewards_usd: int
    liquidity_usd: int
    queued_liability_usd: int
    total_usd: int
    nav_per_share: int
    supply: int
    staked_core_raw: int
    lstbtc_raw: int
    pending_rewards_raw: int
    basket_core_raw: int
    basket_corebtc_raw: int
    queued_core_raw: int
    queued_btc_raw: int
    queue_length: int
    oldest_requested_at: int | None
    free_liquidity_usd: int
    max_deviation_bps: int
    target_core_bps: int
    target_btc_bps: int
    allocation: list[ValidatorAllocation] = field(default_factory=list[ValidatorAllocation])
    feeds: list[FeedRaw] = field(default_factory=list[FeedRaw])


@dataclass(frozen=True)
class MonitorConfig:
    etf_addresses: tuple[str, ...]
    governance_addresses: tuple[str, ...] = ()
    confirmations: int = 3
    block_range: int = 2000
    start_block: int = 0
    reorg_window_blocks: int = 512
    metrics_every_blocks: int = 1
    invariant_tolerance: Decimal = Decimal("0.000001")
    loss_event_names: tuple[str, ...] = ()
    block_seconds: float = 3.0

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every watched contract (the eth_getLogs filter)."""
        return self.etf_addresses + self.governance_addresses
