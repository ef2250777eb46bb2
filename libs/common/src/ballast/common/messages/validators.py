"""Core DAO validator facts (StakeBasket seed ValidatorMonitor; REFERENCE.md Core DAO chain)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from ballast.common.messages._base import Address, BaseUnits, Dec, Message, UtcDatetime


class ValidatorStatus(Message):
    """`validators.status`: one validator in one round."""

    operator_address: Address
    consensus_address: Address | None
    round: int = Field(ge=0)
    status_bits: int = Field(ge=0)
    is_candidate: bool
    is_inactive: bool
    is_jailed: bool
    is_margin_low: bool
    is_validator: bool
    jailed_until_round: int | None = None
    commission_thousandths: int = Field(ge=0, le=1000)
    commission_changed: bool = False
    total_delegated_raw: BaseUnits | None = Field(
        default=None, description="CoreAgent.candidateMap; None where the chain does not say"
    )
    our_delegation_raw: BaseUnits
    missed_blocks: int = Field(ge=0)
    misdemeanor_threshold: int = Field(ge=0)
    felony_threshold: int = Field(ge=0)
    income_raw: BaseUnits = 0
    score: int = Field(default=0, ge=0)
    estimated_apy: Dec | None = None
    changes: list[str] = Field(default_factory=list[str])
    observed_at: UtcDatetime


class RecommendationAction(StrEnum):
    MOVE_AWAY = "move_away"
    HOLD = "hold"


class ValidatorRecommendation(Message):
    """`validators.recommendations`: a fact for the executor's rebalance."""

    operator_address: Address
    action: RecommendationAction
    reasons: list[str]
    round: int = Field(ge=0)
    observed_at: UtcDatetime
