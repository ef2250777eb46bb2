"""The hourly accumulation under custody (issue 21): the executor's USDC -> WCORE -> PUMP swap,
and the router approval it sends first, go through the Roles modifier inside the bot's role (not
refused) and the PUMP bought lands in the Safe."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from web3 import Web3

from ballast.common.messages import AutomationKind, ExecutionStatus
from ballast.devnet.bot_role import QUOTE_PER_DAY


async def test_custody__accumulation__through_the_modifier_and_the_safe_gets_the_pump(
    world: Any,
) -> None:
    w, amount = world, 100 * 10**6  # 100 USDC
    quote_before = w.roles().functions.allowances(QUOTE_PER_DAY).call()[3]
    usdc, pump = w.token("USDC"), w.token("PUMP")
    usdc_before, pump_before = (t.functions.balanceOf(w.safe).call() for t in (usdc, pump))
    outcome = await w.automate(AutomationKind.ACCUMULATE, "h1", amount_in_raw=amount,
                               amount_usd=Decimal(100))
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
