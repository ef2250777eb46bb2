"""The steps of a live execution that touch the chain: sign, broadcast, poll, replace, confirm.

`Steps` is the half of the Executor (executor.py) that sends; each step does one piece of I/O
and writes its result before the next side effect (domain/execution.py says what comes next).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError

from ballast.common.messages import ExecutionStatus, Message
from ballast.intervention.adapters.repository import Record, Repository
from ballast.intervention.adapters.signer import Signer
from ballast.intervention.app import Checkpoint, Clock
from ballast.intervention.asset_legs import asset_leg_outcome
from ballast.intervention.building import Builder, ExecConfig, NotNeeded, book_details
from ballast.intervention.domain.custody import explain
from ballast.intervention.domain.execution import (
    Attempt,
    ChainView,
    Fees,
    Phase,
    PollVerdict,
    SendOutcome,
    SendVerdict,
    after_poll,
    after_send,
    bumped_fees,
    initial_fees,
)
from ballast.intervention.domain.record import (
    ASSET_LEG_KINDS,
    BOOK_KINDS,
    LEG_KINDS,
    SWAP_KINDS,
    ExecKind,
)
from ballast.intervention.metrics import InterventionMetrics
from ballast.intervention.ports import ChainPort

log = logging.getLogger("ballast.intervention.executor")  # the executor's sending half

if TYPE_CHECKING:  # imported only with custody configured (custody.py)
    from ballast.intervention.custody import Custody


class Steps:
    repo: Repository
    chain: ChainPort
    signer: Signer | None
    config: ExecConfig
    builder: Builder
    clock: Clock
    crash: Checkpoint
    metrics: InterventionMetrics | None
    custody: Custody | None

    @property
    def live_signer(self) -> Signer:
        if self.signer is None:
            raise RuntimeError("live execution needs a signer (dry-run signs nothing)")
        return self.signer

    @property
    def account(self) -> str:
        return self.live_signer.address

    @property
    def holder(self) -> str:
        """Who holds the treasury: the custody Safe, else the signing account itself."""
        return self.config.custody.safe if self.config.custody else self.account

    def _outcome(self, record: Record, status: ExecutionStatus, **details: Any) -> Message:
        return self.builder.outcome(self.clock(), record, status, **details)

    async def _sign(self, record: Record) -> bool:
        ex = record.execution
        nonce = ex.reserved_nonce
        account = self.account
        try:
            plan = await self.builder.plan(
                record, account if ex.kind is ExecKind.NONCE_FILL else self.holder)
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
        if self.custody is not None and (plan := await self.custody.guard(self, record, plan)
                                         ) is None:
            return True  # refused or proposed to the Safe: ended, nothing signed
        _, _, base_fee = await self.chain.latest_block()
        tip = min(await self.chain.priority_fee(), self.config.max_priority_fee_wei)
        fees = initial_fees(base_fee, tip, self.config.max_fee_per_gas_wei)
        if fees is None:
            log.warning("base fee above the cap, waiting", extra={"decision_id": ex.decision_id})
            return False
        try:
            gas = await self.chain.estimate_gas(account, plan.to, plan.data)
        except Exception as err:  # noqa: BLE001 - a revert now means it would revert on-chain
            outcome = self._outcome(record, ExecutionStatus.FAILED,
                                    reason=f"would revert: {explain(err)}")
            await self.repo.finalize(ex.decision_id, Phase.FAILED, outcome, release_nonce=True)
            return True
        gas_limit = int(Decimal(gas) * self.config.gas_margin) + self.config.gas_headroom
        tx = self.builder.tx(plan, nonce, gas_limit, fees)
        tx["chainId"] = await self.chain.chain_id()
        signed = await self.live_signer.sign(tx)
        attempt = Attempt(1, nonce, signed.tx_hash, signed.raw, *_fee_fields(fees))
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

    def _observe_unfundable(self, kind: ExecKind) -> None:
        """A queued withdrawal that recalling the whole stake cannot pay (alerts by rule)."""
        if kind is not ExecKind.FUND_WITHDRAWALS or self.metrics is None:
            return
        for asset, short in zip(("CORE", "coreBTC"), self.builder.unfundable, strict=True):
            self.metrics.unfundable.labels(asset).set(short)

    async def _broadcast(self, record: Record) -> None:
        ex = record.execution
        attempt = ex.signed
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
        nonce = ex.reserved_nonce
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
                gas_price=receipt.effective_gas_price, reason=f"reverted: {explain(reason)}",
            )
            await self.repo.finalize(ex.decision_id, Phase.FAILED, outcome)
            return True
        if verdict is PollVerdict.REORGED:
            await self.repo.mark_reorged(ex.decision_id)
            return True
        if verdict is PollVerdict.FOREIGN_NONCE:
            outcome = self._outcome(
                record, ExecutionStatus.FAILED,
                reason=f"nonce {nonce} was used by a transaction that is not ours",
            )
            await self.repo.finalize(ex.decision_id, Phase.FAILED, outcome)
            return True
        if verdict is PollVerdict.REPLACE:
            return await self._replace(record)
        return False

    async def _replace(self, record: Record) -> bool:
        """Same nonce, same call, fees bumped; persisted before it is broadcast."""
        ex = record.execution
        latest, nonce = ex.signed, ex.reserved_nonce
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
        signed = await self.live_signer.sign(tx)
        if self.metrics is not None:
            self.metrics.replacements.inc()
        attempt = Attempt(latest.attempt + 1, nonce, signed.tx_hash, signed.raw,
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
            flows = await self.chain.token_flows(tx_hash, self.holder, token_in, token_out)
            amount_out = flows.amount_out
        elif ex.kind in BOOK_KINDS:  # the two amounts the signed call moved
            data = bytes(TypedTransaction.from_bytes(HexBytes(ex.attempts[-1].raw))
                         .as_dict()["data"])
            amounts = (int.from_bytes(data[4:36], "big"), int.from_bytes(data[36:68], "big"))
            extra = book_details(amounts, self.builder.unfundable)
        elif ex.kind in ASSET_LEG_KINDS and self.config.basket is not None:
            amount_out, extra = await asset_leg_outcome(self.chain, self.config.basket, ex,
                                                        tx_hash)
        elif ex.kind in LEG_KINDS:  # what the leg moved: the next leg is built from it
            for token, (sent, received) in (
                await self.chain.transfers(tx_hash, self.holder)
            ).items():
                extra[f"sent:{token}"], extra[f"recv:{token}"] = str(sent), str(received)
        outcome = self._outcome(
            record, ExecutionStatus.CONFIRMED, tx_hash=tx_hash, block=block, gas_used=gas_used,
            gas_price=gas_price, amount_out=amount_out, min_out=record.amount_out_min_raw or 0,
            quoted_out=record.quoted_out_raw or 0, extra=extra,
        )
        await self.repo.finalize(ex.decision_id, Phase.CONFIRMED, outcome)


def _fee_fields(fees: Fees) -> tuple[int, int]:
    return fees.max_fee_per_gas, fees.max_priority_fee_per_gas
