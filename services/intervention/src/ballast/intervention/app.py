"""The application core: from bus facts (treasury.state, automation requests, etf.metrics,
control) to recorded decisions. Fetch first, decide second, act third (DESIGN.md): the history
and the pause flag are read and the decision recorded in one Postgres transaction
(Repository.decide), then published. The signing and sending happen later, in the executor,
from the record; nothing here touches the chain.

Its ports are the protocols below, given in the constructor: the Postgres repository
(adapters/repository.py) in production, in-memory fakes in tests/unit/test_app.py.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from ballast.common import subjects
from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    AutomationRequest,
    ControlCommand,
    DecisionAction,
    ExecutionMode,
    ExecutionStatus,
    InterventionDecision,
    Message,
    StrategyParameterChanged,
    TreasuryState,
    utcnow,
)
from ballast.intervention.basket_decisions import BasketDecisions
from ballast.intervention.domain.automation import (
    PAPER_KEYED,
    AutomationConfig,
    DriftEpisodes,
    accumulation_inputs,
)
from ballast.intervention.domain.record import ExecKind
from ballast.intervention.metrics import InterventionMetrics
from ballast.intervention.operator_control import OperatorControl
from ballast.strategy import accumulation
from ballast.strategy.decision import History, evaluate
from ballast.strategy.onchain import LiveParams
from ballast.strategy.params import StrategyParams
from ballast.strategy.policy import Policy

log = logging.getLogger("ballast.intervention.decider")


class Publish(Protocol):
    """The bus's publish (Bus.publish): a message on a subject, with its dedup id."""

    def __call__(
        self, payload: Message, subject: str, *, msg_id: str | None = None
    ) -> Awaitable[None]: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


Checkpoint = Callable[[str], None]
"""Called with the name of each point a crash test may kill the process at (tests only: the
crash matrix gives one that SIGKILLs; production gives none)."""


def no_checkpoint(point: str) -> None:
    """No crash test: nothing happens at a checkpoint."""


class Decisions(Protocol):
    """The record of decisions, automation actions and operator commands (the repository)."""

    async def decide(
        self, strategy: str, now: datetime,
        evaluate: Callable[[History, bool], InterventionDecision], state_key: str | None = None,
    ) -> tuple[InterventionDecision, bool]: ...

    async def mark_decided_published(self, decision_id: str) -> None: ...

    async def accumulation_totals(self) -> tuple[Decimal, datetime | None]: ...

    async def create_automation(
        self, decision_id: str, kind: ExecKind, *, mode: ExecutionMode, now: datetime,
        amount_usd: Decimal, amount_in_raw: int, payload: Message,
        strategy: str | None = None, budget_usd: Decimal | None = None,
        budget_since: datetime | None = None, exclusive: bool = False,
    ) -> tuple[bool, str | None]: ...

    async def paused(self) -> bool: ...

    async def set_paused(self, paused: bool, cmd: ControlCommand) -> None: ...

    async def approve(self, decision_id: str, by: str, at: datetime) -> bool: ...

    async def record_command(self, cmd: ControlCommand, accepted: bool, detail: str) -> bool: ...

    async def command_applied(self, command_id: str) -> bool: ...


@dataclass(eq=False)
class Decider(BasketDecisions, OperatorControl):
    repo: Decisions
    policy: Policy
    mode: ExecutionMode
    publish: Publish
    _: KW_ONLY
    automation: AutomationConfig = field(default_factory=AutomationConfig)
    operators: Collection[str] = ()
    metrics: InterventionMetrics | None = None
    clock: Clock = utcnow
    crash: Checkpoint = no_checkpoint
    live: LiveParams | None = None
    """The strategy's numbers as governance sets them (StrategyParameters), when deployed."""
    on_params: Callable[[StrategyParams], None] | None = None
    """Told each new set of numbers in force (the executor's plans use them too)."""
    last_state: TreasuryState | None = field(default=None, init=False)
    """The newest treasury.state seen: the accumulation's prices and concentration."""
    drift: DriftEpisodes = field(default_factory=DriftEpisodes, init=False)
    """The CORE/BTC drift episodes seen (basket_decisions.py): one asset_rebalance each."""

    # ------------------------------------------------------------------ interventions
    async def on_state(self, state: TreasuryState) -> InterventionDecision:
        started = time.perf_counter()
        now = self.clock()
        policy = self.active_policy  # one set of numbers for the whole decision
        if self.last_state is None or state.computed_at >= self.last_state.computed_at:
            self.last_state = state

        def run(history: History, paused: bool) -> InterventionDecision:
            return evaluate(state, policy, history, now=now, paused=paused, mode=self.mode)

        key = hashlib.sha256(state.model_dump_json().encode()).hexdigest()
        decision, _ = await self.repo.decide(self.policy.strategy, now, run, state_key=key)
        self.crash("after_decision_commit")
        await self.publish(
            decision, subjects.INTERVENTION_DECIDED, msg_id=f"decided-{decision.decision_id}"
        )
        if decision.action is DecisionAction.ACT:
            await self.repo.mark_decided_published(decision.decision_id)
        if self.metrics is not None:
            rule = decision.reasons[0].split(":")[0] if decision.reasons else ""
            acted = decision.action is DecisionAction.ACT
            self.metrics.decisions.labels(decision.action.value, "" if acted else rule).inc()
            self.metrics.decision_seconds.observe(time.perf_counter() - started)
        log.info(
            "decided",
            extra={"decision_id": decision.decision_id, "action": decision.action.value,
                   "reasons": decision.reasons},
        )
        return decision

    def on_parameter(self, event: StrategyParameterChanged) -> None:
        """A governance change of a strategy number: decided with from the next message on."""
        if self.live is None:
            return
        refused = self.live.on_changed(event)
        if refused is None:
            return  # already in the values read at start
        if not refused and self.on_params is not None:
            self.on_params(self.live.params)
        level, message, extra = self.live.change_record(event, refused)
        log.log(level, message, extra=extra)

    # ------------------------------------------------------------------ automation
    async def on_automation(self, request: AutomationRequest) -> bool:
        now = self.clock()
        decision_id = f"{request.kind.value}-{request.request_id}"
        age = (now - request.requested_at).total_seconds()
        if age > self.automation.max_request_age_seconds:
            await self._refuse(decision_id, request.kind, now,
                               f"stale: requested {age:.0f}s ago")
            return False
        if request.kind is not AutomationKind.ACCUMULATE:
            return await self._automation(
                decision_id, request.kind, now, request.amount_usd, 0, request, None
            )
        plan = await self._accumulation_plan(now, request.amount_usd)
        if not plan.act:
            await self._refuse(decision_id, request.kind, now, "; ".join(plan.reasons))
            return False
        return await self._automation(
            decision_id, request.kind, now, plan.amount_usd, plan.amount_in_raw, request,
            accumulation.hourly_budget(self.active_policy.params),
        )

    async def _accumulation_plan(
        self, now: datetime, requested_usd: Decimal
    ) -> accumulation.AccumulationPlan:
        """ballast.strategy.accumulation on the newest state and the period's record."""
        state = self.last_state
        if state is None:
            return accumulation.AccumulationPlan(Decimal(0), 0, ["state: no treasury.state yet"])
        spent, started_at = await self.repo.accumulation_totals()
        inputs = accumulation_inputs(state, self.policy.pump_symbol, self.automation,
                                     spent, started_at, requested_usd)
        return accumulation.plan(inputs, self.active_policy.params, now)

    async def _own_request(
        self, kind: AutomationKind, now: datetime, request_id: str, reason: str
    ) -> bool:
        """An action this service asks itself for (a schedule, a deposit): sized at signing."""
        request = AutomationRequest(request_id=request_id, kind=kind, amount_usd=Decimal(0),
                                    reason=reason, requested_at=now)
        return await self._automation(
            f"{kind.value}-{request_id}", kind, now, Decimal(0), 0, request, None
        )

    async def _automation(
        self,
        decision_id: str,
        kind: AutomationKind,
        now: datetime,
        amount_usd: Decimal,
        amount_in_raw: int,
        request: AutomationRequest,
        budget: Decimal | None,
    ) -> bool:
        if kind in PAPER_KEYED and self.mode is ExecutionMode.DRY_RUN:
            decision_id += "-dry_run"  # a paper run never uses up the live action's key
        hour = now.replace(minute=0, second=0, microsecond=0)
        created, refused = await self.repo.create_automation(
            decision_id, ExecKind(kind.value), mode=self.mode, now=now, amount_usd=amount_usd,
            amount_in_raw=amount_in_raw, payload=request, budget_usd=budget,
            budget_since=hour if budget is not None else None,
            exclusive=kind is AutomationKind.ASSET_REBALANCE,  # one trade of the basket at a time
        )
        if self.metrics is not None:
            self.metrics.automation.labels(kind.value, str(created).lower()).inc()
        if refused and refused not in ("duplicate", "open"):
            await self._refuse(decision_id, kind, now, refused)
        return created

    async def _refuse(
        self, decision_id: str, kind: AutomationKind, now: datetime, reason: str
    ) -> None:
        action = AutomationAction(
            action_id=decision_id, kind=kind, status=ExecutionStatus.FAILED, mode=self.mode,
            reason=reason, executed_at=now,
        )
        await self.publish(action, subjects.AUTOMATION_EXECUTED, msg_id=f"refused-{decision_id}")
