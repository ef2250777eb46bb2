"""StakeBasket ETF facts (StakeBasket seed: ContractMonitor, MetricsCollector) and governance."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from ballast.common.messages._base import (
    Address,
    BaseUnits,
    Dec,
    Message,
    Symbol,
    TxHash,
    UtcDatetime,
)


class FeedReading(Message):
    symbol: Symbol
    price: Dec | None
    updated_at: UtcDatetime | None
    age_seconds: int | None = Field(default=None, ge=0)
    error: str | None = None


class AllocationEntry(Message):
    validator: Address
    staked_raw: BaseUnits
    current_weight_bps: int = Field(ge=0, le=10_000)
    target_weight_bps: int = Field(ge=0, le=10_000)


class InvariantCheck(Message):
    name: str
    ok: bool
    detail: str = ""


class EtfMetrics(Message):
    """`etf.metrics`: one read of the StakeBasket suite at a block."""

    block_number: int = Field(ge=0)
    block_timestamp: UtcDatetime
    nav_per_share: Dec
    aum_usd: Dec
    core_staked_usd: Dec
    lstbtc_usd: Dec
    rewards_usd: Dec
    liquidity_usd: Dec
    basket_supply_raw: BaseUnits
    feeds: list[FeedReading] = Field(default_factory=list[FeedReading])
    queue_length: int = Field(ge=0)
    queue_total_raw: BaseUnits = 0
    oldest_wait_seconds: int | None = Field(default=None, ge=0)
    instant_withdrawal_capacity_usd: Dec
    unfunded_queue_usd: Dec = Field(
        default=Decimal(0), ge=0,
        description="queued withdrawals the basket's balances do not cover (per asset, in USD): "
        "what the executor recalls from staking",
    )
    allocation: list[AllocationEntry] = Field(default_factory=list[AllocationEntry])
    max_allocation_deviation_bps: int = Field(default=0, ge=0)
    core_value_usd: Dec = Field(
        default=Decimal(0), ge=0,
        description="CORE the basket holds for its shareholders (held + staked - queued), USD",
    )
    btc_value_usd: Dec = Field(
        default=Decimal(0), ge=0,
        description="BTC the basket holds for its shareholders (coreBTC + lstBTC - queued), USD",
    )
    target_core_bps: int | None = Field(
        default=None, ge=0, le=10_000,
        description="the StakingManager's CORE share of the CORE/BTC asset target (BTC: the rest)",
    )
    asset_drift_bps: int = Field(
        default=0, ge=0, le=10_000,
        description="|CORE share - its target| in bps (ballast.strategy.assets): past the "
        "seed's 10% the executor trades the overweight asset for the other",
    )
    invariants: list[InvariantCheck] = Field(default_factory=list[InvariantCheck])


class EtfEventKind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAW = "withdraw"
    QUEUED = "queued"
    CLAIMED = "claimed"
    REBALANCED = "rebalanced"
    COMPOUNDED = "compounded"
    DELEGATED = "delegated"
    UNDELEGATED = "undelegated"
    PAUSED = "paused"
    UNPAUSED = "unpaused"
    ROLE = "role"
    OTHER = "other"


class EtfEvent(Message):
    """`etf.events.<kind>`: one confirmed log; `removed` marks a rollback after a reorg."""

    kind: EtfEventKind
    event_name: str
    contract: Address
    tx_hash: TxHash
    log_index: int = Field(ge=0)
    block_number: int = Field(ge=0)
    block_hash: str
    args: dict[str, str] = Field(description="decoded arguments, integers as decimal strings")
    removed: bool = False
    observed_at: UtcDatetime


class ProposalType(StrEnum):
    PARAMETER = "parameter"
    TREASURY = "treasury"
    UPGRADE = "upgrade"
    EMERGENCY = "emergency"


class GovernanceProposal(Message):
    """`governance.proposals`: a proposal's state and its quorum/approval progress."""

    proposal_id: str = Field(description="uint256 as a decimal string")
    event: str = Field(description="created, vote_cast, queued, executed, canceled, progress")
    proposal_type: ProposalType
    state: str
    proposer: Address
    description: str
    for_votes: Dec
    against_votes: Dec
    abstain_votes: Dec
    quorum_required: Dec
    quorum_reached: bool
    approval_threshold: Dec = Field(description="fraction of for/(for+against) needed")
    approval: Dec | None
    vote_end_at: UtcDatetime | None
    seconds_to_deadline: int | None
    observed_at: UtcDatetime


class StrategyParameterChanged(Message):
    """`governance.parameters`: one confirmed `ParameterChanged` of the StrategyParameters contract
    (the strategy's numbers, owned by the governance timelock). Values are the contract's: fixed
    point with 18 decimals (`value` is `new_value` as a decimal). `removed` marks a rollback after
    a reorg: the key is back at `old_value`."""

    key: str = Field(description="the setting's name (trigger_threshold, tier1_drawdown, ...)")
    old_value: BaseUnits = Field(description="18-decimal fixed point, as the contract stores it")
    new_value: BaseUnits = Field(description="18-decimal fixed point, as the contract stores it")
    value: Dec = Field(description="new_value / 1e18")
    contract: Address
    tx_hash: TxHash
    log_index: int = Field(ge=0)
    block_number: int = Field(ge=0)
    block_hash: str
    removed: bool = False
    observed_at: UtcDatetime
