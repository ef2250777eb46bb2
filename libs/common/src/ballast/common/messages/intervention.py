"""Decisions and executions (PSTR seed section 3; StakeBasket seed AutomationEngine)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from ballast.common.messages._base import (
    BaseUnits,
    ConsensusStatus,
    Dec,
    ExecutionStatus,
    Message,
    TxHash,
    UtcDatetime,
)


class DecisionAction(StrEnum):
    ACT = "act"
    BLOCKED = "blocked"


class ExecutionMode(StrEnum):
    DRY_RUN = "dry_run"
    LIVE = "live"


class DecisionInputs(Message):
    """What a decision saw: the rules can be re-checked from this alone."""

    consensus_status: ConsensusStatus
    price: Dec | None
    vwap_30d: Dec | None
    trigger_threshold: Dec
    drawdown: Dec | None
    tier: int = Field(ge=0, le=3)
    reserve_ratio: Dec | None
    intervention_capacity_usd: Dec | None
    pump_concentration: Dec | None
    last_intervention_at: UtcDatetime | None
    interventions_today: int = Field(ge=0)
    paused: bool
    reserve_ratio_after: Dec | None = Field(
        default=None,
        description="projected reserve ratio once the decided amount has left the reserve "
        "(acting decisions only)",
    )


class InterventionDecision(Message):
    """`intervention.decided`: act, or blocked and why."""

    decision_id: str = Field(min_length=1, max_length=128)
    strategy: str
    action: DecisionAction
    reasons: list[str]
    inputs: DecisionInputs
    deployment_share: Dec = Field(ge=0, le=1)
    amount_usd: Dec = Field(ge=0)
    amount_in_raw: BaseUnits = Field(description="PUMP base units to swap")
    mode: ExecutionMode
    requires_approval: bool = False
    decided_at: UtcDatetime


class InterventionExecuted(Message):
    """`intervention.executed`: terminal outcome of one decision."""

    decision_id: str
    status: ExecutionStatus
    mode: ExecutionMode
    tx_hash: TxHash | None = None
    nonce: int | None = Field(default=None, ge=0)
    amount_in_raw: BaseUnits = 0
    amount_out_raw: BaseUnits = 0
    amount_out_min_raw: BaseUnits = 0
    effective_price: Dec | None = None
    slippage: Dec | None = None
    gas_used: int | None = Field(default=None, ge=0)
    gas_cost_wei: BaseUnits | None = None
    block_number: int | None = Field(default=None, ge=0)
    reason: str | None = None
    executed_at: UtcDatetime
    # What the decision saw, carried so the terminal fact alone tells on-call what happened.
    tier: int | None = Field(default=None, ge=0, le=3)
    amount_usd: Dec | None = Field(default=None, ge=0, description="decided size in USD")
    amount_in: Dec | None = Field(default=None, ge=0, description="PUMP sold, in tokens")
    price: Dec | None = Field(default=None, description="PSTR consensus price at the decision")
    vwap_30d: Dec | None = Field(default=None, description="PSTR 30-day VWAP at the decision")
    reserve_ratio_after: Dec | None = Field(
        default=None, description="projected reserve ratio after the intervention"
    )


class AutomationKind(StrEnum):
    ACCUMULATE = "accumulate"
    REBALANCE = "rebalance"
    COMPOUND = "compound"
    LIQUIDITY_ADD = "liquidity_add"
    """Provide a pool's share of the liquidity allocation (PSTR seed 6): swap, then add."""
    LIQUIDITY_REBALANCE = "liquidity_rebalance"
    """Price past 15% from the band's centre: remove, re-balance the tokens, re-add."""
    STAKE = "stake"
    """StakeBasket free liquidity above the instant-withdrawal buffer: deployLiquidity."""
    FUND_WITHDRAWALS = "fund_withdrawals"
    """Queued withdrawals owed more than the basket holds: recallLiquidity before maturity."""
    ASSET_REBALANCE = "asset_rebalance"
    """StakeBasket CORE/BTC split past 10% from target: recall if short, swapAssets, deploy."""


class AutomationRequest(Message):
    """`automation.requested.<kind>`: work the treasury asks the executor to do (hourly buys)."""

    request_id: str = Field(min_length=1, max_length=128)
    kind: AutomationKind
    amount_usd: Dec = Field(ge=0)
    reason: str
    requested_at: UtcDatetime
    details: dict[str, str] = Field(
        default_factory=dict[str, str],
        description="kind-specific inputs, e.g. a liquidity action's pool, funding token, amount",
    )


class AutomationAction(Message):
    """`automation.executed`: outcome of an accumulate, rebalance, compound or liquidity action.

    A liquidity action of several transactions (swap, remove, add) is one action: `tx_hash` is
    its last transaction, `details` lists every leg's hash and gas."""

    action_id: str
    kind: AutomationKind
    status: ExecutionStatus
    mode: ExecutionMode
    tx_hash: TxHash | None = None
    amount_in_raw: BaseUnits = 0
    amount_out_raw: BaseUnits = 0
    details: dict[str, str] = Field(default_factory=dict[str, str])
    reason: str | None = None
    executed_at: UtcDatetime
