"""What the executor sends and what it reports: transaction plans and outcome messages.

A plan is the call for one execution kind: a Uniswap V2 `swapExactTokensForTokens` quoted with
`getAmountsOut` and bounded by amountOutMin = quote x (1 - max slippage) and a deadline
(intervention: PUMP -> PSTR; accumulate: the configured token -> PUMP), a StakeBasket
`rebalance()` / `compound()`, a leg of a multi-leg action (legs.py, asset_legs.py), or the router
approval a swap needs first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from eth_utils.address import to_checksum_address

from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    ExecutionStatus,
    InterventionExecuted,
    Message,
)
from ballast.intervention.adapters import basket as basket_books
from ballast.intervention.adapters.repository import Record
from ballast.intervention.asset_legs import asset_leg_plan
from ballast.intervention.domain.custody import CustodyConfig
from ballast.intervention.domain.execution import Fees, amount_out_min, swap_result
from ballast.intervention.domain.record import (
    ASSET_LEG_KINDS,
    BASKET_KINDS,
    BOOK_KINDS,
    LEG_KINDS,
    SWAP_KINDS,
    UNPUBLISHED_KINDS,
    ExecKind,
)
from ballast.intervention.legs import PoolConfig
from ballast.intervention.legs_v3 import leg_plan, leg_spending
from ballast.intervention.ports import ChainPort
from ballast.strategy.basket import INSTANT_BUFFER_SHARE, to_recall, to_stake, unfundable
from ballast.strategy.params import StrategyParams

__all__ = ["BOOK_KINDS", "SWAP_KINDS"]


class NotNeeded(ValueError):
    """The books no longer call for this move (another action or a deposit got there first)."""


@dataclass(frozen=True)
class ExecConfig:
    router: str
    pump: str
    pstr: str
    accumulate_token: str | None = None
    accumulate_via: tuple[str, ...] = ()
    """Intermediate tokens of the accumulation's router path (the devnet: WCORE)."""
    basket: str | None = None
    max_slippage: Decimal = StrategyParams().slippage_cap
    buffer_share: Decimal = INSTANT_BUFFER_SHARE
    deadline_seconds: int = 600
    max_fee_per_gas_wei: int = 200 * 10**9
    max_priority_fee_wei: int = 2 * 10**9
    confirmations: int = 3
    stuck_after: timedelta = timedelta(minutes=3)
    approval_delay: timedelta | None = None
    decision_ttl: timedelta | None = timedelta(hours=6)
    decision_fresh: timedelta | None = None
    """An intervention no operator approves expires when still unsigned this long after its
    decision (next_step); None: only `decision_ttl`."""
    gas_margin: Decimal = Decimal("1.25")
    gas_headroom: int = 60_000
    """Added to every estimate: a Uniswap V2 pair's first trade in a new block also writes the
    price accumulators (two fresh storage slots), which an estimate against the current block
    does not see. Unused gas is refunded."""
    pools: dict[str, PoolConfig] = field(default_factory=dict[str, PoolConfig])
    """The liquidity pools by name ("PUMP-WCORE"): liquidity actions name one."""
    owner: str | None = None
    """The treasury account: what a dry run reads balances of (it has no signer)."""
    custody: CustodyConfig | None = None
    """A Safe holds the treasury and the bot acts through its Roles modifier (custody.py)."""
    params: StrategyParams = field(default_factory=StrategyParams)
    """The strategy's keys: the asset rebalance's bound (`etf_rebalance_deviation`)."""


@dataclass(frozen=True)
class TxPlan:
    """One transaction to sign: its call, and what it is expected to trade."""

    to: str
    data: bytes
    token_in: str | None = None
    token_out: str | None = None
    quoted_out: int | None = None
    min_out: int | None = None
    deadline: int | None = None
    details: dict[str, str] = field(default_factory=dict[str, str])
    """What the plan would move, for the outcome's details."""


def book_details(amounts: tuple[int, int], short: tuple[int, int]) -> dict[str, str]:
    return {"core_raw": str(amounts[0]), "core_btc_raw": str(amounts[1]),
            "unfundable_core_raw": str(short[0]), "unfundable_core_btc_raw": str(short[1])}


def decision_facts(payload: dict[str, Any]) -> dict[str, Any]:
    """What the decision saw, for `InterventionExecuted`: the page about an outcome names the
    tier, the size, the price against its VWAP and the reserve left (issue #24). A stored
    decision that predates a field gives None for it."""
    inputs: dict[str, Any] = payload.get("inputs") or {}
    return {
        "tier": inputs.get("tier"),
        "amount_usd": payload.get("amount_usd"),
        "price": inputs.get("price"),
        "vwap_30d": inputs.get("vwap_30d"),
        "reserve_ratio_after": inputs.get("reserve_ratio_after"),
    }


class Builder:
    def __init__(self, chain: ChainPort, config: ExecConfig) -> None:
        self.chain = chain
        self.config = config
        self.decimals: dict[str, int] = {}
        self.unfundable: tuple[int, int] = (0, 0)
        """What the last fund_withdrawals plan could not fund by recalling (CORE, coreBTC)."""

    def path(self, kind: ExecKind) -> list[str]:
        if kind is ExecKind.INTERVENTION:
            return [self.config.pump, self.config.pstr]
        if self.config.accumulate_token is None:
            raise RuntimeError("accumulation needs accumulate_token configured")
        return [self.config.accumulate_token, *self.config.accumulate_via, self.config.pump]

    async def plan(self, record: Record, account: str) -> TxPlan:
        kind = record.execution.kind
        if kind in SWAP_KINDS:
            path = self.path(kind)
            token_in, token_out = path[0], path[-1]
            quoted = await self.chain.quote(self.config.router, record.amount_in_raw, path)
            min_out = amount_out_min(quoted, self.config.max_slippage)
            _, timestamp, _ = await self.chain.latest_block()
            deadline = timestamp + self.config.deadline_seconds
            data = self.chain.swap_calldata(self.config.router, record.amount_in_raw, min_out,
                                            path, account, deadline)
            return TxPlan(self.config.router, data, token_in, token_out, quoted, min_out, deadline)
        if kind in BASKET_KINDS:
            if self.config.basket is None:
                raise RuntimeError(f"{kind} needs the StakeBasket address configured")
            basket = self.config.basket
            if kind is ExecKind.COMPOUND and not await basket_books.pending_rewards(
                self.chain, basket):  # etf.metrics read before the last compound showed some
                raise NotNeeded("compound: no rewards pending")
            return TxPlan(basket, self.chain.basket_calldata(basket, kind))
        if kind in BOOK_KINDS:
            return await self.book_plan(kind)
        if kind in LEG_KINDS:
            _, timestamp, _ = await self.chain.latest_block()
            return await leg_plan(self.chain, self.config, record, account,
                                  timestamp + self.config.deadline_seconds)
        if kind in ASSET_LEG_KINDS:
            _, timestamp, _ = await self.chain.latest_block()
            return await asset_leg_plan(self.chain, self.config, record,
                                        timestamp + self.config.deadline_seconds)
        if kind is ExecKind.APPROVE:
            details = record.payload["details"]
            spender = str(details.get("spender") or self.config.router)
            return TxPlan(str(details["token"]), self.chain.approve_calldata(details["token"],
                                                                              spender))
        if kind is ExecKind.NONCE_FILL:  # nothing but the nonce: a zero-value transfer to ourselves
            return TxPlan(account, b"")
        raise ValueError(f"unknown execution kind {kind!r}")

    async def book_plan(self, kind: ExecKind) -> TxPlan:
        """stake: deployLiquidity of what is above the buffer; fund_withdrawals:
        recallLiquidity of the queue's shortfall plus the buffer (ballast.strategy.basket)."""
        basket = self.config.basket
        if basket is None:
            raise RuntimeError(f"{kind} needs the StakeBasket address configured")
        core, btc = await basket_books.books(self.chain, basket)
        share = self.config.buffer_share
        if kind is ExecKind.STAKE:
            amounts, function = (to_stake(core, share), to_stake(btc, share)), "deployLiquidity"
        else:
            amounts = (to_recall(core, share), to_recall(btc, share))
            function = "recallLiquidity"
        self.unfundable = (unfundable(core), unfundable(btc))
        if amounts == (0, 0):
            raise NotNeeded(f"{kind}: the basket's books need no move")
        data = basket_books.move_calldata(self.chain, basket, function, *amounts)
        return TxPlan(basket, data, details=book_details(amounts, self.unfundable))

    def spending(self, record: Record) -> list[tuple[str, int, str]]:
        """(token, amount, spender) a contract will take in this execution: the router, or a
        V3 leg's position manager or router. Approvals needed first."""
        if record.execution.kind in SWAP_KINDS:
            return [(self.path(record.execution.kind)[0], record.amount_in_raw,
                     self.config.router)]
        return leg_spending(record, self.config.router)

    @staticmethod
    def tx(plan: TxPlan, nonce: int, gas: int, fees: Fees) -> dict[str, Any]:
        return {
            "type": 2,
            "nonce": nonce,
            "to": to_checksum_address(plan.to),
            "value": 0,
            "data": plan.data,
            "gas": gas,
            "maxFeePerGas": fees.max_fee_per_gas,
            "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
        }

    async def load_decimals(self) -> None:
        for token in (self.config.pump, self.config.pstr):
            if token not in self.decimals:
                self.decimals[token] = await self.chain.decimals(token)

    def outcome(
        self,
        now: datetime,
        record: Record,
        status: ExecutionStatus,
        *,
        tx_hash: str | None = None,
        block: int | None = None,
        gas_used: int | None = None,
        gas_price: int | None = None,
        amount_out: int = 0,
        min_out: int = 0,
        quoted_out: int = 0,
        reason: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> Message:
        ex = record.execution
        gas_cost = gas_used * gas_price if gas_used is not None and gas_price is not None else None
        if ex.kind is ExecKind.INTERVENTION:
            decimals_in = self.decimals.get(self.config.pump, 18)
            result = swap_result(
                amount_in=record.amount_in_raw, amount_out=amount_out, quoted_out=quoted_out,
                decimals_in=decimals_in,
                decimals_out=self.decimals.get(self.config.pstr, 18),
                gas_used=gas_used or 0, effective_gas_price=gas_price or 0,
            )
            return InterventionExecuted(
                decision_id=ex.decision_id, status=status, mode=ex.mode, tx_hash=tx_hash,
                nonce=ex.nonce if status is not ExecutionStatus.DRY_RUN else None,
                amount_in_raw=record.amount_in_raw, amount_out_raw=amount_out,
                amount_out_min_raw=min_out,
                effective_price=result.effective_price if amount_out else None,
                slippage=result.slippage if amount_out and quoted_out else None,
                gas_used=gas_used, gas_cost_wei=gas_cost, block_number=block, reason=reason,
                executed_at=now,
                amount_in=Decimal(record.amount_in_raw).scaleb(-decimals_in),
                **decision_facts(record.payload),
            )
        details = {"decision_id": ex.decision_id}
        if ex.nonce is not None:
            details["nonce"] = str(ex.nonce)
        if gas_cost is not None:
            details["gas_cost_wei"] = str(gas_cost)
            details["gas_used"] = str(gas_used)
        if min_out:
            details["amount_out_min_raw"] = str(min_out)
        details.update(extra or {})
        if ex.kind in UNPUBLISHED_KINDS:  # never published on their own
            kind = AutomationKind(record.payload["kind"])
        else:
            kind = AutomationKind(ex.kind)
        return AutomationAction(
            action_id=ex.decision_id, kind=kind, status=status, mode=ex.mode, tx_hash=tx_hash,
            amount_in_raw=record.amount_in_raw, amount_out_raw=amount_out, details=details,
            reason=reason, executed_at=now,
        )
