"""Builders for the facts the alert rules read (one per payload model), as a fixture."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ballast.common import messages as m
from ballast.testing.messages import validator_status
from ballast.testing.receivers import WebhookReceiver

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
OPERATOR = "0x" + "ab" * 20
TX = "0x" + "cd" * 32


class Facts:
    """Each builder returns (subject, fact): valid payloads with only the rule's field varied."""

    @staticmethod
    def treasury(rr: str | None = "3.0", pump: str | None = "0.5", *, min_rr: str = "1.5",
                 reduced_rr: str = "2.0") -> tuple[str, m.Message]:
        """The governed limits default to the seed's (min_rr_threshold 1.5, reduced 2.0)."""
        return "treasury.state", m.TreasuryState(
            computed_at=T0,
            status=m.StateStatus.OK,
            holdings=[],
            treasury_value_usd=Decimal("3000000"),
            pstr_price=Decimal("1"),
            pstr_market_cap_usd=Decimal("1000000"),
            reserve_ratio=None if rr is None else Decimal(rr),
            daily_budget_usd=Decimal("2465.75"),
            intervention_capacity_usd=Decimal("100000"),
            vwap_30d=Decimal("1"),
            drawdown=Decimal("0"),
            tier=0,
            deployment_share=Decimal("0"),
            safety_mode=m.SafetyMode.NORMAL,
            pump_concentration=None if pump is None else Decimal(pump),
            pump_concentration_limit=Decimal("0.8"),
            min_rr_threshold=Decimal(min_rr),
            reduced_rr_threshold=Decimal(reduced_rr),
            inputs=[],
        )

    @staticmethod
    def consensus(
        status: str = "OK",
        symbol: str = "PSTR",
        sources: list[dict[str, Any]] | None = None,
        emergency_source: str = "",
    ) -> tuple[str, m.Message]:
        readings = sources if sources is not None else [
            {"source": "pyth", "used": True, "deviation": "0.01"},
            {"source": "switchboard", "used": True, "deviation": "0.01"},
        ]
        return f"prices.consensus.{symbol}", m.ConsensusPrice(
            symbol=symbol,
            price=None if status == "HALTED" else Decimal("1.0"),
            status=m.ConsensusStatus(status),
            sources=[m.SourceReading.model_validate(r) for r in readings],
            sources_used=len(readings),
            computed_at=T0,
            emergency_source=emergency_source,
        )

    @staticmethod
    def executed(
        status: str = "confirmed", decision_id: str = "d-1", reason: str | None = None
    ) -> tuple[str, m.Message]:
        return "intervention.executed", m.InterventionExecuted(
            decision_id=decision_id,
            status=m.ExecutionStatus(status),
            mode=m.ExecutionMode.LIVE,
            reason=reason,
            executed_at=T0,
        )

    @staticmethod
    def heartbeat(service: str = "oracle", interval: int = 10) -> tuple[str, m.Message]:
        return f"heartbeat.{service}", m.Heartbeat(
            service=service,
            instance="host-1",
            version="0.1.0",
            started_at=T0,
            sent_at=T0,
            uptime_seconds=1,
            ready=True,
            interval_seconds=interval,
        )

    @staticmethod
    def validator(
        jailed: bool = False, missed: int = 0, threshold: int = 50, operator: str = OPERATOR
    ) -> tuple[str, m.Message]:
        return "validators.status", validator_status(
            operator, jailed=jailed, missed=missed, threshold=threshold, observed_at=T0
        )

    @staticmethod
    def etf(nav: str = "1.05", oldest_wait: int | None = None) -> tuple[str, m.Message]:
        return "etf.metrics", m.EtfMetrics(
            block_number=100,
            block_timestamp=T0,
            nav_per_share=Decimal(nav),
            aum_usd=Decimal("1000000"),
            core_staked_usd=Decimal("500000"),
            lstbtc_usd=Decimal("400000"),
            rewards_usd=Decimal("1000"),
            liquidity_usd=Decimal("99000"),
            basket_supply_raw=10**24,
            queue_length=1,
            oldest_wait_seconds=oldest_wait,
            instant_withdrawal_capacity_usd=Decimal("50000"),
        )

    @staticmethod
    def dead_letter(service: str = "treasury") -> tuple[str, m.Message]:
        return "deadletter.treasury.state", m.DeadLetter(
            original_subject="treasury.state",
            service=service,
            error="invalid payload",
            payload_b64="e30=",
            deliveries=1,
            failed_at=T0,
        )

    @staticmethod
    def health(level: str = "good", score: str = "1.1") -> tuple[str, m.Message]:
        return "health.score", m.HealthScore(
            computed_at=T0,
            score=Decimal(score),
            level=m.HealthLevel(level),
            reserve_ratio_component=Decimal("0.5"),
            intervention_capacity_component=Decimal("0.3"),
            diversification_component=Decimal("0.3"),
        )

    @staticmethod
    def automation(status: str = "confirmed", action_id: str = "a-1") -> tuple[str, m.Message]:
        return "automation.executed", m.AutomationAction(
            action_id=action_id,
            kind=m.AutomationKind.ACCUMULATE,
            status=m.ExecutionStatus(status),
            mode=m.ExecutionMode.LIVE,
            executed_at=T0,
        )

    @staticmethod
    def proposal(
        event: str = "progress",
        seconds_to_deadline: int | None = 3 * 86400,
        quorum_reached: bool = True,
        proposal_id: str = "7",
    ) -> tuple[str, m.Message]:
        return "governance.proposals", m.GovernanceProposal(
            proposal_id=proposal_id,
            event=event,
            proposal_type=m.ProposalType.PARAMETER,
            state="active",
            proposer=OPERATOR,
            description="raise the trigger threshold",
            for_votes=Decimal("100"),
            against_votes=Decimal("10"),
            abstain_votes=Decimal("0"),
            quorum_required=Decimal("1000"),
            quorum_reached=quorum_reached,
            approval_threshold=Decimal("0.51"),
            approval=Decimal("0.9"),
            vote_end_at=None,
            seconds_to_deadline=seconds_to_deadline,
            observed_at=T0,
        )


@pytest.fixture
def facts() -> type[Facts]:
    return Facts


@pytest.fixture
async def webhook() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


async def wait_for(predicate: Any, within: float = 10.0, what: str = "condition") -> None:
    async with asyncio.timeout(within):
        while not await _maybe_await(predicate()):
            await asyncio.sleep(0.02)


async def _maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value):
        return await value
    return value


@pytest.fixture
def waiter() -> Any:
    return wait_for
