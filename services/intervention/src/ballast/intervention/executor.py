"""Drives every open execution to a published terminal outcome, one step at a time.

Each step reads the Postgres record, asks the pure state machine (domain/execution.py) what to do,
does that one piece of I/O, and writes the result before the next side effect. The process may be
killed between any two lines here; a restart resumes from the record (`crash` marks the named
points the crash-matrix test kills at).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes
from opentelemetry import trace
from web3.exceptions import ContractLogicError

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
from ballast.intervention.adapters.chain import Chain
from ballast.intervention.adapters.repository import Record, Repository
from ballast.intervention.adapters.signer import Signer
from ballast.intervention.building import (
    BOOK_KINDS,
    SWAP_KINDS,
    Builder,
    ExecConfig,
    NotNeeded,
    book_details,
)
from ballast.intervention.domain.execution import (
    Attempt,
    ChainView,
    Fees,
    Phase,
    PollVerdict,
    SendOutcome,
    SendVerdict,
    Step,
    after_poll,
    after_send,
    bumped_fees,
    initial_fees,
    next_step,
)
from ballast.intervention.internal import INTERNAL_KINDS, ensure_approval, fill_nonce_gap
from ballast.intervention.legs import COMPOSITE_KINDS, LEG_KINDS, Composite
from ballast.intervention.metrics import InterventionMetrics

log = logging.getLogger("ballast.intervention.executor")

class Publish(Protocol):
    def __call__(
        self, payload: Message, subject: str, *, msg_id: str | None = None
    ) -> Awaitable[None]: ...


def no_crash(point: str) -> None:
    """The production crash hook: does nothing."""


class Executor:
    def __init__(
        self,
        repo: Repository,
        chain: Chain,
        signer: Signer | None,
        publish: Publish,
        config: ExecConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
        crash: Callable[[str], None] = no_crash,
        metrics: InterventionMetrics | None = None,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self.metrics = metrics
        self.tracer = tracer or trace.get_tracer("ballast.intervention")
        self.repo = repo
        self.chain = chain
        self.signer = signer
        self.publish = publish
        self.config = config
        self.clock = clock
        self.crash = crash
        self.builder = Builder(chain, config)
        self.composite = Composite(self)

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
                if self.signer is None or not await self.composite.advance(record,
                                                                           paused=paused):
                    return
                continue
            step = next_step(
                record.execution,
                now=self.clock(),
                paused=paused,
                approval_delay=self.config.approval_delay,
                ttl=self.config.decision_ttl,
            )
            if step in (Step.DONE, Step.WAIT_APPROVAL, Step.WAIT_PAUSED):
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

    async def _do(self, step: Step, record: Record) -> bool:
        if step is Step.SIMULATE:
            await self._simulate(record)
        elif step is Step.EXPIRE:
            ttl = self.config.decision_ttl
            outcome = self._outcome(record, ExecutionStatus.FAILED,
                                    reason=f"expired: not signed within {ttl}")
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

    def _outcome(self, record: Record, status: ExecutionStatus, **details: Any) -> Message:
        return self.builder.outcome(self.clock(), record, status, **details)

    # ------------------------------------------------------------------ steps
    @property
    def account(self) -> str:
        if self.signer is None:
            raise RuntimeError("live execution needs a signer (dry-run signs nothing)")
        return self.signer.address

    async def _simulate(self, record: Record) -> None:
        """Paper mode: decided, priced and recorded; nothing is signed."""
        ex = record.execution
        quoted = min_out = 0
        reason = "dry run: quoted, not signed"
        extra: dict[str, str] = {}
        try:
            await self.builder.load_decimals()
            if ex.kind in COMPOSITE_KINDS:
                extra = await self.composite.preview(record)
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
        for token, amount in self.builder.spending(record):
            allowance = await self.chain.allowance(token, account, self.config.router)
            if allowance < amount:
                await ensure_approval(self, token)
                return False
        pending = await self.chain.nonce(account, "pending")
        return await self.repo.reserve_nonce(record.execution.decision_id, account, pending)

    async def _sign(self, record: Record) -> bool:
        ex = record.execution
        assert ex.nonce is not None
        account = self.account
        try:
            plan = await self.builder.plan(record, account)
        except NotNeeded as err:  # the books moved since the decision: nothing to send
            self._observe_unfundable(ex.kind)
            outcome = self._outcome(record, ExecutionStatus.FAILED, reason=f"not needed: {err}")
            await self.repo.finalize(ex.decision_id, Phase.FAILED, outcome, release_nonce=True)
            return True
        except (ContractLogicError, LookupError, ValueError) as err:
            # the quote or a read reverts (no route, a missing pool): nothing was signed, so the
            # nonce goes back; held, it would stall every later transaction of the account
            outcome = self._outcome(record, ExecutionStatus.FAILED,
                                    reason=f"cannot be planned: {err}"[:500])
            await self.repo.finalize(ex.decision_id, Phase.FAILED, outcome, release_nonce=True)
            return True
        self._observe_unfundable(ex.kind)
        _, _, base_fee = await self.chain.latest_block()
        tip = min(await self.chain.priority_fee(), self.config.max_priority_fee_wei)
        fees = initial_fees(base_fee, tip, self.config.max_fee_per_gas_wei)
        if fees is None:
            log.warning("base fee above the cap, waiting", extra={"decision_id": ex.decision_id})
            return False
        try:
            gas = await self.chain.estimate_gas(account, plan.to, plan.data)
        except Exception as err:  # noqa: BLE001 - a revert now means it would revert on-chain
            outcome = self._outcome(record, ExecutionStatus.FAILED, reason=f"would revert: {err}")
            await self.repo.finalize(ex.decision_id, Phase.FAILED, outcome, release_nonce=True)
            return True
        gas_limit = int(Decimal(gas) * self.config.gas_margin) + self.config.gas_headroom
        tx = self.builder.tx(plan, ex.nonce, gas_limit, fees)
        tx["chainId"] = await self.chain.chain_id()
        signed = await self.signer.sign(tx) if self.signer else None
        assert signed is not None
        attempt = Attempt(1, ex.nonce, signed.tx_hash, signed.raw, *_fee_fields(fees))
        stored = await self.repo.record_signed(
            ex.decision_id,
            attempt,
            expected=Phase.NONCE_RESERVED,
            quoted_out_raw=plan.quoted_out,
            amount_out_min_raw=plan.min_out,
            deadline=plan.deadline,
        )
        self.crash("after_sign_persist")
        return stored

    def _observe_unfundable(self, kind: str) -> None:
        """A queued withdrawal that recalling the whole stake cannot pay (alerts by rule)."""
        if kind != "fund_withdrawals" or self.metrics is None:
            return
        for asset, short in zip(("CORE", "coreBTC"), self.builder.unfundable, strict=True):
            self.metrics.unfundable.labels(asset).set(short)

    async def _broadcast(self, record: Record) -> None:
        ex = record.execution
        attempt = ex.latest
        assert attempt is not None
        result = await self.chain.send_raw(attempt.raw)
        self.crash("after_broadcast")  # sent, nothing recorded yet: the hardest restart
        own_mined = False
        if result.outcome is SendOutcome.NONCE_TOO_LOW:
            own_mined = any([await self.chain.receipt(h) is not None for h in ex.hashes])
        verdict = after_send(result.outcome, own_hash_mined=own_mined)
        if self.metrics is not None:
            self.metrics.broadcasts.labels(verdict.value).inc()
        # FOREIGN_NONCE is concluded by polling (a receipt can lag the nonce); a rejected
        # replacement leaves the earlier attempts to be followed
        replacement_refused = verdict is SendVerdict.REJECTED and attempt.attempt > 1
        if verdict in (SendVerdict.SENT, SendVerdict.FOREIGN_NONCE) or replacement_refused:
            await self.repo.mark_broadcast(ex.decision_id, attempt.attempt, self.clock())
            return
        pending = await self.chain.nonce(self.account, "pending")
        outcome = self._outcome(
            record, ExecutionStatus.FAILED, reason=f"rejected by the node: {result.message}"
        )
        await self.repo.finalize(
            ex.decision_id, Phase.FAILED, outcome, release_nonce=pending <= attempt.nonce
        )

    async def _poll(self, record: Record) -> bool:
        ex = record.execution
        assert ex.nonce is not None
        mined_nonce = await self.chain.nonce(self.account, "latest")
        receipt = None
        for tx_hash in reversed(ex.hashes):
            receipt = await self.chain.receipt(tx_hash)
            if receipt is not None:
                break
        view = ChainView(mined_nonce, receipt, await self.chain.head())
        verdict = after_poll(
            ex,
            view,
            now=self.clock(),
            confirmations=self.config.confirmations,
            stuck_after=self.config.stuck_after,
        )
        seen_before = ex.phase is Phase.MINED and ex.mined_hash == (receipt and receipt.tx_hash)
        if receipt is not None and not seen_before:
            await self.repo.mark_mined(ex.decision_id, receipt.tx_hash, receipt.block_number)
            self.crash("after_receipt")
        if verdict is PollVerdict.CONFIRMED and receipt is not None:
            await self._confirmed(record, receipt.tx_hash, receipt.block_number, receipt.gas_used,
                                  receipt.effective_gas_price)
            return True
        if verdict is PollVerdict.REVERTED and receipt is not None:
            reason = await self.chain.revert_reason(receipt.tx_hash, receipt.gas_used)
            outcome = self._outcome(
                record, ExecutionStatus.FAILED, tx_hash=receipt.tx_hash,
                block=receipt.block_number, gas_used=receipt.gas_used,
                gas_price=receipt.effective_gas_price, reason=f"reverted: {reason}",
            )
            await self.repo.finalize(ex.decision_id, Phase.FAILED, outcome)
            return True
        if verdict is PollVerdict.REORGED:
            await self.repo.mark_reorged(ex.decision_id)
            return True
        if verdict is PollVerdict.FOREIGN_NONCE:
            outcome = self._outcome(
                record, ExecutionStatus.FAILED,
                reason=f"nonce {ex.nonce} was used by a transaction that is not ours",
            )
            await self.repo.finalize(ex.decision_id, Phase.FAILED, outcome)
            return True
        if verdict is PollVerdict.REPLACE:
            return await self._replace(record)
        return False

    async def _replace(self, record: Record) -> bool:
        """Same nonce, same call, fees bumped; persisted before it is broadcast."""
        ex = record.execution
        latest = ex.latest
        assert latest is not None and ex.nonce is not None
        _, _, base_fee = await self.chain.latest_block()
        tip = min(await self.chain.priority_fee(), self.config.max_priority_fee_wei)
        old = Fees(latest.max_fee_per_gas, latest.max_priority_fee_per_gas)
        fees = bumped_fees(old, base_fee, tip, self.config.max_fee_per_gas_wei)
        if fees is None:
            log.warning("cannot bump fees under the cap", extra={"decision_id": ex.decision_id})
            return False
        fields = TypedTransaction.from_bytes(HexBytes(latest.raw)).as_dict()
        tx: dict[str, Any] = {
            k: fields[k] for k in ("chainId", "nonce", "to", "value", "data", "gas")
        }
        tx.update(type=2, maxFeePerGas=fees.max_fee_per_gas,
                  maxPriorityFeePerGas=fees.max_priority_fee_per_gas)
        assert self.signer is not None
        signed = await self.signer.sign(tx)
        if self.metrics is not None:
            self.metrics.replacements.inc()
        attempt = Attempt(latest.attempt + 1, ex.nonce, signed.tx_hash, signed.raw,
                          *_fee_fields(fees))
        return await self.repo.record_signed(ex.decision_id, attempt, expected=Phase.BROADCAST)

    async def _confirmed(
        self, record: Record, tx_hash: str, block: int, gas_used: int, gas_price: int
    ) -> None:
        ex = record.execution
        await self.builder.load_decimals()
        amount_out = 0
        extra: dict[str, str] = {}
        if ex.kind in SWAP_KINDS:
            path = self.builder.path(ex.kind)
            token_in, token_out = path[0], path[-1]
            flows = await self.chain.token_flows(tx_hash, self.account, token_in, token_out)
            amount_out = flows.amount_out
        elif ex.kind in BOOK_KINDS:  # the two amounts the signed call moved
            data = bytes(TypedTransaction.from_bytes(HexBytes(ex.attempts[-1].raw))
                         .as_dict()["data"])
            amounts = (int.from_bytes(data[4:36], "big"), int.from_bytes(data[36:68], "big"))
            extra = book_details(amounts, self.builder.unfundable)
        elif ex.kind in LEG_KINDS:  # what the leg moved: the next leg is built from it
            for token, (sent, received) in (
                await self.chain.transfers(tx_hash, self.account)
            ).items():
                extra[f"sent:{token}"], extra[f"recv:{token}"] = str(sent), str(received)
        outcome = self._outcome(
            record, ExecutionStatus.CONFIRMED, tx_hash=tx_hash, block=block, gas_used=gas_used,
            gas_price=gas_price, amount_out=amount_out, min_out=record.amount_out_min_raw or 0,
            quoted_out=record.quoted_out_raw or 0, extra=extra,
        )
        await self.repo.finalize(ex.decision_id, Phase.CONFIRMED, outcome)

    async def _publish(self, record: Record) -> None:
        ex = record.execution
        self.crash("before_publish")
        assert record.outcome is not None
        if self.metrics is not None:
            self.metrics.outcomes.labels(ex.kind, str(record.outcome.get("status"))).inc()
        if ex.kind == "intervention":
            message: Message = InterventionExecuted.model_validate(record.outcome)
            await self.publish(message, subjects.INTERVENTION_EXECUTED,
                               msg_id=f"executed-{ex.decision_id}")
        elif ex.kind not in INTERNAL_KINDS and ex.kind not in LEG_KINDS:  # reported by the action
            message = AutomationAction.model_validate(record.outcome)
            await self.publish(message, subjects.AUTOMATION_EXECUTED,
                               msg_id=f"executed-{ex.decision_id}")
        await self.repo.mark_published(ex.decision_id)


def _fee_fields(fees: Fees) -> tuple[int, int]:
    return fees.max_fee_per_gas, fees.max_priority_fee_per_gas
