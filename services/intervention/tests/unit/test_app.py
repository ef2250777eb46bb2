"""The application core (app.Decider) with in-memory ports: no Postgres, no NATS.

`Decisions` is a dict-backed record with the repository's answers (a redelivered state returns
the decision recorded for it, an automation id is created once); `recorder` keeps what the core
published. What the real repository adds (locks, unique keys) is tested in integration/.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ballast.common import messages as m
from ballast.common import subjects
from ballast.intervention.app import Decider, Decisions
from ballast.intervention.domain.automation import AutomationConfig
from ballast.intervention.domain.record import ExecKind
from ballast.strategy.decision import History
from ballast.strategy.policy import Policy

NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
OPS = "ops@ballast"


class MemoryDecisions:
    """The Decisions port in memory."""

    def __init__(self) -> None:
        self.decisions: dict[str, m.InterventionDecision] = {}
        self.by_state: dict[str, m.InterventionDecision] = {}
        self.published: set[str] = set()
        self.automation: dict[str, tuple[ExecKind, Decimal, m.Message]] = {}
        self.is_paused = False
        self.pause_issued_at: datetime | None = None
        self.approved: set[str] = set()
        self.commands: dict[str, tuple[bool, str]] = {}

    async def decide(
        self, strategy: str, now: datetime,
        evaluate: Callable[[History, bool], m.InterventionDecision], state_key: str | None = None,
    ) -> tuple[m.InterventionDecision, bool]:
        if state_key is not None and state_key in self.by_state:
            return self.by_state[state_key], False
        acted = [d for d in self.decisions.values() if d.action is m.DecisionAction.ACT]
        last = max((d.decided_at for d in acted), default=None)
        today = sum(1 for d in acted if d.decided_at.date() == now.date())
        decision = evaluate(History(last, today), self.is_paused)
        self.decisions[decision.decision_id] = decision
        if state_key is not None:
            self.by_state[state_key] = decision
        return decision, True

    async def mark_decided_published(self, decision_id: str) -> None:
        self.published.add(decision_id)

    async def accumulation_totals(self) -> tuple[Decimal, datetime | None]:
        spent = [usd for kind, usd, _ in self.automation.values() if kind is ExecKind.ACCUMULATE]
        return sum(spent, Decimal(0)), (NOW if spent else None)

    async def create_automation(
        self, decision_id: str, kind: ExecKind, *, mode: m.ExecutionMode, now: datetime,
        amount_usd: Decimal, amount_in_raw: int, payload: m.Message,
        strategy: str | None = None, budget_usd: Decimal | None = None,
        budget_since: datetime | None = None, exclusive: bool = False,
    ) -> tuple[bool, str | None]:
        if exclusive and any(k is kind for k, _, _ in self.automation.values()):
            return False, "open"  # nothing here ever finishes: any recorded one is open
        if budget_usd is not None:
            spent = sum((usd for k, usd, _ in self.automation.values() if k is kind), Decimal(0))
            if spent + amount_usd > budget_usd:
                return False, f"budget: {spent} + {amount_usd} > {budget_usd} this hour"
        if decision_id in self.automation:
            return False, "duplicate"
        self.automation[decision_id] = (kind, amount_usd, payload)
        return True, None

    async def paused(self) -> bool:
        return self.is_paused

    async def set_paused(self, paused: bool, cmd: m.ControlCommand) -> None:
        if self.pause_issued_at is None or self.pause_issued_at <= cmd.issued_at:
            self.is_paused, self.pause_issued_at = paused, cmd.issued_at

    async def approve(self, decision_id: str, by: str, at: datetime) -> bool:
        if decision_id in self.approved:
            return False
        self.approved.add(decision_id)
        return True

    async def record_command(self, cmd: m.ControlCommand, accepted: bool, detail: str) -> bool:
        new = cmd.command_id not in self.commands or (
            accepted and not self.commands[cmd.command_id][0])
        if new:
            self.commands[cmd.command_id] = (accepted, detail)
        return new

    async def command_applied(self, command_id: str) -> bool:
        return self.commands.get(command_id, (False, ""))[0]


@pytest.fixture
def store() -> MemoryDecisions:
    return MemoryDecisions()


def core(store: Decisions, recorder: Any, mode: m.ExecutionMode = m.ExecutionMode.DRY_RUN,
         **kw: Any) -> Decider:
    return Decider(store, Policy(), mode, recorder, automation=AutomationConfig(),
                   operators=(OPS,), clock=lambda: NOW, **kw)


def control(verb: m.ControlVerb, by: str = OPS, n: int = 1, **kw: Any) -> m.ControlCommand:
    return m.ControlCommand(command_id=f"{verb.value}-{n}", command=verb, issued_by=by,
                          issued_at=NOW + timedelta(seconds=n), **kw)


def etf(deviation_bps: int = 0, **kw: Any) -> m.EtfMetrics:
    zero = Decimal(0)
    fields: dict[str, Any] = dict(
        block_number=1, block_timestamp=NOW, nav_per_share=Decimal(1), aum_usd=zero,
        core_staked_usd=zero, lstbtc_usd=zero, rewards_usd=zero, liquidity_usd=zero,
        basket_supply_raw=0, queue_length=0, instant_withdrawal_capacity_usd=zero,
        max_allocation_deviation_bps=deviation_bps,
    )
    return m.EtfMetrics(**(fields | kw))


async def test_on_state__acting__recorded_published_once_and_marked(
    store: MemoryDecisions, recorder: Any, make_state: Callable[..., m.TreasuryState]
) -> None:
    decision = await core(store, recorder).on_state(make_state(NOW))
    assert decision.action is m.DecisionAction.ACT
    assert [p.msg_id for p in recorder.sent] == [f"decided-{decision.decision_id}"]
    assert recorder.sent[0].subject == subjects.INTERVENTION_DECIDED
    assert store.published == {decision.decision_id}


async def test_on_state__redelivered__the_recorded_decision_again(
    store: MemoryDecisions, recorder: Any, make_state: Callable[..., m.TreasuryState]
) -> None:
    decider = core(store, recorder)
    state = make_state(NOW)
    first, again = await decider.on_state(state), await decider.on_state(state)
    assert again.decision_id == first.decision_id
    assert len(store.decisions) == 1


async def test_on_state__paused__blocked_not_marked(
    store: MemoryDecisions, recorder: Any, make_state: Callable[..., m.TreasuryState]
) -> None:
    decider = core(store, recorder)
    assert await decider.on_control(control(m.ControlVerb.PAUSE)) == "paused"
    decision = await decider.on_state(make_state(NOW))
    assert decision.action is m.DecisionAction.BLOCKED and decision.inputs.paused
    assert store.published == set()


async def test_on_state__checkpoint_called_after_the_commit(
    store: MemoryDecisions, recorder: Any, make_state: Callable[..., m.TreasuryState]
) -> None:
    points: list[str] = []
    await core(store, recorder, crash=points.append).on_state(make_state(NOW))
    assert points == ["after_decision_commit"]


async def test_on_control__not_an_operator__refused_and_recorded(
    store: MemoryDecisions, recorder: Any
) -> None:
    result = await core(store, recorder).on_control(control(m.ControlVerb.PAUSE, by="eve"))
    assert result == "refused: not an operator identity"
    assert not store.is_paused
    assert store.commands["pause-1"] == (False, "not an operator identity")


async def test_on_control__other_verbs_and_targets__ignored(
    store: MemoryDecisions, recorder: Any
) -> None:
    decider = core(store, recorder)
    assert (await decider.on_control(control(m.ControlVerb.SILENCE))).startswith("ignored")
    assert (await decider.on_control(control(m.ControlVerb.PAUSE, target="alerts"))).startswith(
        "ignored")
    assert store.commands == {}


async def test_on_control__approve__needs_a_decision_id_and_applies_once(
    store: MemoryDecisions, recorder: Any
) -> None:
    decider = core(store, recorder)
    assert await decider.on_control(control(m.ControlVerb.APPROVE)) == (
        "refused: approve needs a decision_id")
    assert await decider.on_control(control(m.ControlVerb.APPROVE, n=2, decision_id="d1")) == (
        "approved")
    assert await decider.on_control(control(m.ControlVerb.APPROVE, n=3, decision_id="d1")) == (
        "nothing to approve")


async def test_on_automation__stale_request__refused_and_published(
    store: MemoryDecisions, recorder: Any
) -> None:
    old = m.AutomationRequest(request_id="r1", kind=m.AutomationKind.REBALANCE,
                              amount_usd=Decimal(0), reason="t",
                              requested_at=NOW - timedelta(hours=2))
    assert not await core(store, recorder).on_automation(old)
    (refusal,) = recorder.on(subjects.AUTOMATION_EXECUTED)
    assert isinstance(refusal, m.AutomationAction)
    assert refusal.status is m.ExecutionStatus.FAILED and refusal.reason.startswith("stale")
    assert recorder.sent[0].msg_id == "refused-rebalance-r1"


async def test_on_automation__accumulate_without_a_state__refused(
    store: MemoryDecisions, recorder: Any
) -> None:
    buy = m.AutomationRequest(request_id="h1", kind=m.AutomationKind.ACCUMULATE,
                            amount_usd=Decimal(100), reason="t", requested_at=NOW)
    assert not await core(store, recorder).on_automation(buy)
    (refusal,) = recorder.on(subjects.AUTOMATION_EXECUTED)
    assert isinstance(refusal, m.AutomationAction)
    assert "no treasury.state yet" in refusal.reason
    assert store.automation == {}


async def test_on_automation__paper_liquidity_add__keyed_apart_from_the_live_one(
    store: MemoryDecisions, recorder: Any
) -> None:
    add = m.AutomationRequest(request_id="pool-day", kind=m.AutomationKind.LIQUIDITY_ADD,
                            amount_usd=Decimal(0), reason="t", requested_at=NOW)
    assert await core(store, recorder).on_automation(add)
    assert await core(store, recorder, m.ExecutionMode.LIVE).on_automation(add)
    assert set(store.automation) == {"liquidity_add-pool-day-dry_run", "liquidity_add-pool-day"}
    assert {k for k, _, _ in store.automation.values()} == {ExecKind.LIQUIDITY_ADD}


async def test_on_etf_metrics__deviation__one_rebalance_per_bucket(
    store: MemoryDecisions, recorder: Any
) -> None:
    decider = core(store, recorder)
    assert await decider.on_etf_metrics(etf(2000)) == [m.AutomationKind.REBALANCE]
    assert await decider.on_etf_metrics(etf(2000)) == []  # the same hour: a duplicate
    assert await decider.on_etf_metrics(etf(100)) == []  # within the limit
    assert recorder.sent == []  # a duplicate is not a refusal


async def test_on_etf_metrics__free_liquidity_and_queue__stake_and_fund(
    store: MemoryDecisions, recorder: Any
) -> None:
    metrics = etf(aum_usd=Decimal(1000), instant_withdrawal_capacity_usd=Decimal(500),
                  queue_length=2, unfunded_queue_usd=Decimal(50))
    created = await core(store, recorder).on_etf_metrics(metrics)
    assert created == [m.AutomationKind.STAKE, m.AutomationKind.FUND_WITHDRAWALS]


def drifted(core_usd: int, btc_usd: int, block: int, target: int | None = 6_000) -> m.EtfMetrics:
    return etf(core_value_usd=Decimal(core_usd), btc_value_usd=Decimal(btc_usd),
               target_core_bps=target, block_number=block)


async def test_on_etf_metrics__asset_drift_past_10pct__one_asset_rebalance_per_episode(
    store: MemoryDecisions, recorder: Any
) -> None:
    decider = core(store, recorder, m.ExecutionMode.LIVE)
    kind = m.AutomationKind.ASSET_REBALANCE
    assert await decider.on_etf_metrics(drifted(60, 40, 1)) == []  # on target
    assert await decider.on_etf_metrics(drifted(40, 60, 2)) == [kind]  # 20% BTC overweight
    assert await decider.on_etf_metrics(drifted(41, 59, 3)) == []  # the same episode
    [(decision_id, (_, _, request))] = list(store.automation.items())
    assert decision_id == "asset_rebalance-drift-sell-core_btc-from-2"
    assert isinstance(request, m.AutomationRequest) and "-20.00%" in request.reason
    assert await decider.on_etf_metrics(drifted(55, 45, 4)) == []  # back within: episode over
    store.automation.clear()  # the first one finished
    assert await decider.on_etf_metrics(drifted(80, 20, 5)) == [kind]  # a new episode
    assert "asset_rebalance-drift-sell-core-from-5" in store.automation
    assert recorder.sent == []  # a duplicate or an open one is not a refusal


async def test_on_etf_metrics__asset_drift__no_second_while_one_is_open_or_target_unknown(
    store: MemoryDecisions, recorder: Any
) -> None:
    decider = core(store, recorder, m.ExecutionMode.LIVE)
    assert await decider.on_etf_metrics(drifted(40, 60, 2, target=None)) == []
    assert await decider.on_etf_metrics(drifted(40, 60, 2)) == [m.AutomationKind.ASSET_REBALANCE]
    decider.drift.current = None  # as after a restart: the episode gets a new name
    assert await decider.on_etf_metrics(drifted(40, 60, 9)) == []  # the first is still open
    assert len(store.automation) == 1


async def test_on_deposit__large_deposit_staked_small_one_not(
    store: MemoryDecisions, recorder: Any
) -> None:
    def deposit(usd: int, index: int) -> m.EtfEvent:
        return m.EtfEvent(
            kind=m.EtfEventKind.DEPOSIT, event_name="Deposit", contract="0x" + "11" * 20,
            tx_hash="0x" + "22" * 32, log_index=index, block_number=1,
            block_hash="0x" + "33" * 32, observed_at=NOW, args={"valueUsd": str(usd * 10**18)},
        )

    decider = core(store, recorder)
    assert await decider.on_deposit(deposit(20_000, 0))
    assert not await decider.on_deposit(deposit(5, 1))
    assert list(store.automation) == [f"stake-deposit-0x{'22' * 32}-0-dry_run"]  # paper mode
