"""The hourly accumulation under custody (issue 21): the executor's USDC -> WCORE -> PUMP swap,
and the router approval it sends first, go through the Roles modifier inside the bot's role (not
refused) and the PUMP bought lands in the Safe."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from web3 import Web3

from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    AutomationRequest,
    ExecutionMode,
    ExecutionStatus,
)
from ballast.devnet.bot_role import QUOTE_PER_DAY
from ballast.intervention.domain.record import ExecKind

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # the world's clock (conftest)


async def test_custody__accumulation__through_the_modifier_and_the_safe_gets_the_pump(
    world: Any,
) -> None:
    w, amount = world, 100 * 10**6  # 100 USDC
    request = AutomationRequest(request_id="h1", kind=AutomationKind.ACCUMULATE,
                                amount_usd=Decimal(100), reason="hourly accumulation",
                                requested_at=NOW)
    quote_before = w.roles().functions.allowances(QUOTE_PER_DAY).call()[3]
    usdc, pump = w.token("USDC"), w.token("PUMP")
    usdc_before, pump_before = (t.functions.balanceOf(w.safe).call() for t in (usdc, pump))
    created, _ = await w.repo.create_automation(
        "accumulate-h1", ExecKind.ACCUMULATE, mode=ExecutionMode.LIVE, now=NOW,
        amount_usd=Decimal(100), amount_in_raw=amount, payload=request)
    assert created
    await w.settle()
    (outcome,) = [m for m in w.published if isinstance(m, AutomationAction)
                  and m.kind is AutomationKind.ACCUMULATE]
    assert outcome.status is ExecutionStatus.CONFIRMED, outcome.reason
    assert usdc.functions.balanceOf(w.safe).call() == usdc_before - amount
    bought = pump.functions.balanceOf(w.safe).call() - pump_before
    assert bought == outcome.amount_out_raw > 0
    assert pump.functions.balanceOf(w.bot).call() == 0
    assert outcome.tx_hash is not None
    tx = w.w3.eth.get_transaction(outcome.tx_hash)
    assert (tx["from"], tx["to"]) == (Web3.to_checksum_address(w.bot), w.roles().address)
    # the buy spent the role's daily quote allowance on chain
    assert quote_before - w.roles().functions.allowances(QUOTE_PER_DAY).call()[3] == amount
