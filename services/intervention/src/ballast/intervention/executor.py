"""Drives every open execution to a published terminal outcome, one step at a time.

Each step reads the Postgres record, asks the pure state machine (domain/execution.py) what to do,
does that one piece of I/O, and writes the result before the next side effect. The process may be
killed between any two lines here; a restart resumes from the record (`crash` marks the named
points the crash-matrix test kills at).
"""

from __future__ import annotations

import logging
from dataclasses import KW_ONLY, dataclass, field, replace
from typing import TYPE_CHECKING

from opentelemetry import trace

from ballast.common import subjects
from ballast.common.messages import (
    AutomationAction,
    ExecutionMode,
    ExecutionStatus,
    InterventionExecuted,
    Message,
    utcnow,
)
from ballast.common.tracing import resume
from ballast.intervention.adapters.repository import Record, Repository
from ballast.intervention.adapters.signer import Signer
from ballast.intervention.app import Checkpoint, Clock, Publish, no_checkpoint
from ballast.intervention.asset_legs import AssetRebalance
from ballast.intervention.building import Builder, ExecConfig
from ballast.intervention.composite import Legged
from ballast.intervention.domain.custody import CustodyConfig
from ballast.intervention.domain.execution import Phase, Step, is_stale, next_step
from ballast.intervention.domain.record import (
    BASKET_MOVERS,
    COMPOSITE_KINDS,
    UNPUBLISHED_KINDS,
    ExecKind,
)
from ballast.intervention.internal import ensure_approval, fill_nonce_gap
from ballast.intervention.legs_v3 import Liquidity
from ballast.intervention.metrics import InterventionMetrics
from ballast.intervention.ports import ChainPort
from ballast.intervention.sending import Steps
from ballast.strategy.params import StrategyParams

if TYPE_CHECKING:  # imported only with custody configured (custody.py)
    from ballast.common.proposals.store import ProposalStore
    from ballast.intervention.custody import Custody

log = logging.getLogger("ballast.intervention.executor")


@dataclass(eq=False)
class Executor(Steps):
    repo: Repository
    chain: ChainPort
    signer: Signer | None
    publish: Publish
    config: ExecConfig
    _: KW_ONLY
    clock: Clock = utcnow
    crash: Checkpoint = no_checkpoint
    metrics: InterventionMetrics | None = None
    tracer: trace.Tracer = field(default_factory=lambda: trace.get_tracer("ballast.intervention"))
    proposals: ProposalStore | None = None
    """Where an action above the bot's allowance is proposed to the Safe (with custody; default:
    a store on the executor's database whose outbox the service relays)."""

    def __post_init__(self) -> None:
        self.builder = Builder(self.chain, self.config)
        self.custody = None if self.config.custody is None else self._custody(self.config.custody)
        self.composite = Liquidity(self)
        self.assets = AssetRebalance(self)

    def _custody(self, custody: CustodyConfig) -> Custody:
        """The custody guard; its module (the Safe client, the role) is imported only here."""
        from ballast.common.proposals.store import ProposalStore  # noqa: PLC0415 - custody only
        from ballast.intervention.custody import Custody  # noqa: PLC0415 - custody only

        return Custody(self.chain, self.config, custody,
                       self.proposals or ProposalStore(self.repo.pool))

    def use_params(self, params: StrategyParams) -> None:
        """Governance changed the strategy's numbers: every plan from now on uses them (the
        swaps' slippage cap, the asset rebalance's deviation)."""
        self.config = replace(self.config, params=params, max_slippage=params.slippage_cap)
        self.builder.config = self.config

    def legged(self, kind: ExecKind) -> Legged:
        """The driver of an action of several legs (composite.py)."""
        return self.assets if kind is ExecKind.ASSET_REBALANCE else self.composite

    # ------------------------------------------------------------------ loop
    async def run_once(self) -> None:
        """Publish decisions not yet published, then move every open execution forward."""
        for decision in await self.repo.unpublished_decisions():
            await self.publish(
                decision, subjects.INTERVENTION_DECIDED, msg_id=f"decided-{decision.decision_id}"
            )
            await self.repo.mark_decided_published(decision.decision_id)
        paused = await self.repo.paused()
        for decision_id in await self.repo.open_executions():
            try:
                await self.drive(decision_id, paused=paused)
            except Exception:  # one decision's trouble must not hold up the others
                log.exception("execution step failed", extra={"decision_id": decision_id})
        if self.signer is not None:
            await fill_nonce_gap(self)

    async def drive(self, decision_id: str, *, paused: bool = False, max_steps: int = 12) -> None:
        for _ in range(max_steps):
            record = await self.repo.load(decision_id)
            ex = record.execution
            if (ex.kind in COMPOSITE_KINDS and ex.phase is Phase.DECIDED
                    and ex.mode is ExecutionMode.LIVE):
                # an action of several legs: each leg is an execution of its own (legs.py)
                if self.signer is None or not await self.legged(ex.kind).advance(
                        record, paused=paused):
                    return
                continue
            step = next_step(
                record.execution,
                now=self.clock(),
                paused=paused,
                approval_delay=self.config.approval_delay,
                ttl=self.config.decision_ttl,
                fresh=self.config.decision_fresh,
            )
            if step in (Step.DONE, Step.WAIT_APPROVAL, Step.WAIT_PAUSED):
                return
            if step is Step.RESERVE_NONCE and await self.basket_busy(record):
                return
            live = record.execution.mode is ExecutionMode.LIVE
            if live and self.signer is None and step not in (Step.PUBLISH, Step.EXPIRE):
                log.warning("live decision left for a live executor (this one has no signer)",
                            extra={"decision_id": decision_id})
                return
            with self.tracer.start_as_current_span(
                f"intervention {step.value}", context=resume(record.trace_context),
                attributes={"ballast.decision_id": decision_id,
                            "ballast.kind": record.execution.kind},
            ):
                progressed = await self._do(step, record)
            if not progressed:
                return

    def _expiry(self, record: Record) -> str:
        fresh = self.config.decision_fresh
        if fresh is not None and is_stale(record.execution, self.clock(), fresh):
            return f"expired: decided on a state older than {fresh}, not signed"
        return f"expired: not signed within {self.config.decision_ttl}"

    async def basket_busy(self, record: Record) -> bool:
        """A StakeBasket mover waits while one decided before it is unfinished."""
        ex = record.execution
        if ex.kind not in BASKET_MOVERS:
            return False
        return await self.repo.open_before(BASKET_MOVERS, ex.decision_id) is not None

    async def _do(self, step: Step, record: Record) -> bool:
        if step is Step.SIMULATE:
            await self._simulate(record)
        elif step is Step.EXPIRE:
            outcome = self._outcome(record, ExecutionStatus.FAILED, reason=self._expiry(record))
            await self.repo.finalize(record.execution.decision_id, Phase.FAILED, outcome)
        elif step is Step.RESERVE_NONCE:
            return await self._reserve(record)
        elif step is Step.SIGN:
            return await self._sign(record)
        elif step is Step.BROADCAST:
            await self._broadcast(record)
        elif step is Step.POLL:
            return await self._poll(record)
        elif step is Step.PUBLISH:
            await self._publish(record)
        return True

    # ------------------------------------------------------------------ steps
    async def _simulate(self, record: Record) -> None:
        """Paper mode: decided, priced and recorded; nothing is signed."""
        ex = record.execution
        quoted = min_out = 0
        reason = "dry run: quoted, not signed"
        extra: dict[str, str] = {}
        try:
            await self.builder.load_decimals()
            if ex.kind in COMPOSITE_KINDS:
                extra = await self.legged(ex.kind).preview(record)
            else:
                plan = await self.builder.plan(record, "0x" + "00" * 20)
                quoted, min_out = plan.quoted_out or 0, plan.min_out or 0
                extra = plan.details
                self._observe_unfundable(ex.kind)
        except Exception as err:  # noqa: BLE001 - paper mode records what it could not price
            reason = f"dry run: not priced: {err}"[:500]
        outcome = self._outcome(
            record, ExecutionStatus.DRY_RUN, amount_out=quoted, min_out=min_out,
            quoted_out=quoted, reason=reason, extra=extra,
        )
        await self.repo.finalize(ex.decision_id, Phase.DRY_RUN, outcome)

    async def _reserve(self, record: Record) -> bool:
        account = self.account
        for token, amount, spender in self.builder.spending(record):
            allowance = await self.chain.allowance(token, self.holder, spender)
            if allowance < amount:
                await ensure_approval(self, token, spender)
                return False
        pending = await self.chain.nonce(account, "pending")
        return await self.repo.reserve_nonce(record.execution.decision_id, account, pending)

    async def _publish(self, record: Record) -> None:
        ex = record.execution
        self.crash("before_publish")
        outcome = record.final_outcome
        if self.metrics is not None:
            self.metrics.outcomes.labels(ex.kind, str(outcome.get("status"))).inc()
        if ex.kind is ExecKind.INTERVENTION:
            message: Message = InterventionExecuted.model_validate(outcome)
            await self.publish(message, subjects.INTERVENTION_EXECUTED,
                               msg_id=f"executed-{ex.decision_id}")
        elif ex.kind not in UNPUBLISHED_KINDS:  # reported by the action that needed them
            message = AutomationAction.model_validate(outcome)
            await self.publish(message, subjects.AUTOMATION_EXECUTED,
                               msg_id=f"executed-{ex.decision_id}")
        await self.repo.mark_published(ex.decision_id)


