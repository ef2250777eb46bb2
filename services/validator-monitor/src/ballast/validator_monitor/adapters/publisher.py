"""Facts -> bus messages, published with their fact id as Nats-Msg-Id (the core's `Publisher`).
Thin on purpose: the decisions are in domain/, the dedup record in the repository."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ballast.common.messages import Message, ValidatorRecommendation, ValidatorStatus
from ballast.common.messages.validators import RecommendationAction
from ballast.common.subjects import VALIDATORS_RECOMMENDATIONS, VALIDATORS_STATUS
from ballast.validator_monitor.domain.changes import kinds
from ballast.validator_monitor.domain.evaluate import RecommendationFact, StatusFact
from ballast.validator_monitor.domain.model import Thresholds
from ballast.validator_monitor.domain.status import decode_status


class Publisher(Protocol):
    async def publish(self, payload: Message, subject: str, *, msg_id: str | None = None) -> None:
        ...


def status_message(fact: StatusFact, thresholds: Thresholds, at: datetime) -> ValidatorStatus:
    v = fact.reading
    s = decode_status(v.status_bits)
    return ValidatorStatus(
        operator_address=v.operator,
        consensus_address=v.consensus,
        round=fact.round,
        status_bits=v.status_bits,
        is_candidate=s.is_candidate,
        is_inactive=s.is_inactive,
        is_jailed=s.is_jailed,
        is_margin_low=s.is_margin_low,
        is_validator=s.is_validator,
        jailed_until_round=v.jailed_until_round,
        commission_thousandths=v.commission_thousandths,
        commission_changed=fact.commission_changed,
        total_delegated_raw=v.total_delegated_raw,
        our_delegation_raw=v.our_delegation_raw,
        missed_blocks=v.missed_blocks,
        misdemeanor_threshold=thresholds.misdemeanor,
        felony_threshold=thresholds.felony,
        income_raw=v.income_raw,
        score=v.score_total,
        estimated_apy=fact.estimated_apy,
        changes=kinds(fact.changes),
        observed_at=at,
    )


def recommendation_message(fact: RecommendationFact, at: datetime) -> ValidatorRecommendation:
    action, reasons = fact.recommendation.signature
    return ValidatorRecommendation(
        operator_address=fact.operator,
        action=RecommendationAction(action),
        reasons=list(reasons),
        round=fact.round,
        observed_at=at,
    )


class FactPublisher:
    def __init__(self, bus: Publisher) -> None:
        self.bus = bus

    async def status(self, fact: StatusFact, thresholds: Thresholds, at: datetime) -> None:
        await self.bus.publish(status_message(fact, thresholds, at), VALIDATORS_STATUS,
                               msg_id=fact.fact_id)

    async def recommendation(self, fact: RecommendationFact, at: datetime) -> None:
        await self.bus.publish(recommendation_message(fact, at), VALIDATORS_RECOMMENDATIONS,
                               msg_id=fact.fact_id)
