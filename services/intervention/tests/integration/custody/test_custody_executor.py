"""The executor under custody on anvil (issue 21; the Safe devnet of conftest.py): a live
intervention goes through the Roles modifier and the Safe receives the PSTR; a PUMP transfer to
the bot that reaches the send path is refused before anything is signed, and the same call sent
by the bot's key reverts on chain; an intervention above the role's daily allowance becomes one
Safe proposal and sends nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from web3 import Web3

from ballast.common.evm.artifacts import load_artifact
from ballast.common.messages import ExecutionStatus
from ballast.common.proposals.store import ProposalStore
from ballast.devnet.bot_role import PUMP_PER_DAY
from ballast.devnet.chain import contract
from ballast.intervention.adapters.repository import Record
from ballast.intervention.building import Builder, TxPlan
from ballast.intervention.custody import with_role
from ballast.intervention.domain.custody import explain
from ballast.intervention.domain.execution import Phase


async def test_custody__live_intervention__through_the_modifier_and_the_safe_gets_the_pstr(
    world: Any,
) -> None:
    w = world
    pump, pstr = w.token("PUMP"), w.token("PSTR")
    pump_before, pstr_before = (t.functions.balanceOf(w.safe).call() for t in (pump, pstr))
    allowance_before = w.roles().functions.allowances(PUMP_PER_DAY).call()[3]
    decision_id = await w.decide()
    await w.settle()
    outcome = w.outcome()
    assert outcome.status is ExecutionStatus.CONFIRMED, outcome.reason
    assert outcome.amount_in_raw == 50 * 10**18
    assert pump.functions.balanceOf(w.safe).call() == pump_before - outcome.amount_in_raw
    received = pstr.functions.balanceOf(w.safe).call() - pstr_before
    assert received == outcome.amount_out_raw > 0  # measured at the Safe, not the bot
    assert pstr.functions.balanceOf(w.bot).call() == 0
    assert outcome.tx_hash is not None
    tx = w.w3.eth.get_transaction(outcome.tx_hash)  # type: ignore[arg-type]
    assert (tx["from"], tx["to"]) == (Web3.to_checksum_address(w.bot), w.roles().address)
    # the swap spent the role's daily PUMP allowance on chain (the approval went first, too)
    spent = allowance_before - w.roles().functions.allowances(PUMP_PER_DAY).call()[3]
    assert spent == outcome.amount_in_raw
    assert (await w.repo.load(decision_id)).execution.phase is Phase.CONFIRMED


class CraftedBuilder(Builder):
    """A builder gone wrong: the intervention's call is a PUMP transfer to the bot's key."""

    bot = ""

    async def plan(self, record: Record, account: str) -> TxPlan:
        data = self.chain.w3.eth.contract(abi=load_artifact("TestToken").abi).encode_abi(
            "transfer", [Web3.to_checksum_address(self.bot), 10**18])
        return TxPlan(self.config.pump, bytes.fromhex(data[2:]))


async def test_custody__pump_transfer_to_the_bot__refused_before_sending_and_reverts_on_chain(
    world: Any,
) -> None:
    w = world
    w.approve_router()
    crafted = CraftedBuilder(w.chain, w.executor.config)
    crafted.bot = w.bot
    w.executor.builder = crafted
    nonce_before = w.bot_nonce()
    decision_id = await w.decide()
    await w.settle()
    outcome = w.outcome()
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.reason == ("refused: outside the bot's role: function 0xa9059cbb on "
                              f"{w.d.tokens['PUMP'].address} is not allowed")  # transfer
    record = await w.repo.load(decision_id)
    assert record.execution.phase is Phase.FAILED and not record.execution.attempts
    assert w.bot_nonce() == nonce_before  # nothing signed, no nonce spent
    # the same call, sent by the bot's key through the modifier: the chain reverts it
    pump = w.token("PUMP")
    held = pump.functions.balanceOf(w.safe).call()
    plan = await crafted.plan(record, w.safe)
    assert w.through_role(plan.to, plan.data)["status"] == 0
    assert pump.functions.balanceOf(w.bot).call() == 0
    assert pump.functions.balanceOf(w.safe).call() == held


async def test_custody__above_the_daily_allowance__one_safe_proposal_nothing_sent(
    world: Any, pool: asyncpg.Pool,
) -> None:
    w = world
    w.approve_router()
    w.set_pump_allowance(10 * 10**18)  # the tier-2 decision sells 50
    nonce_before = w.bot_nonce()
    pstr = w.token("PSTR")
    pstr_before = pstr.functions.balanceOf(w.safe).call()
    decision_id = await w.decide()
    await w.settle()
    outcome = w.outcome()
    assert outcome.status is ExecutionStatus.FAILED and outcome.reason is not None
    assert outcome.reason.startswith("proposed to the Safe: ")
    assert w.bot_nonce() == nonce_before  # nothing sent by the bot
    assert pstr.functions.balanceOf(w.safe).call() == pstr_before
    (proposal,) = await ProposalStore(pool).list()
    m = proposal.message
    assert m.decision_id == decision_id and m.proposal_id in outcome.reason
    assert (m.safe, m.to, m.value) == (w.safe, w.d.uniswap.router, 0)
    router = contract(w.w3, load_artifact("UniswapV2Router02"), w.d.uniswap.router)
    fn, args = router.decode_function_input(proposal.call.data)
    assert fn.fn_name == "swapExactTokensForTokens"
    assert args["amountIn"] == 50 * 10**18 and args["to"] == w.safe
    assert args["path"] == [w.d.tokens["PUMP"].address, w.d.tokens["PSTR"].address]
    # a second pass of the executor proposes nothing more
    await w.settle()
    assert len(await ProposalStore(pool).list()) == 1
    # the chain would have refused it: its revert, as the executor reports one
    assert w.executor.config.custody is not None
    wrapped = with_role(w.executor.config.custody, TxPlan(m.to, proposal.call.data))
    with pytest.raises(Exception) as refused:  # noqa: PT011 - web3's error class varies
        await w.chain.estimate_gas(w.bot, wrapped.to, wrapped.data)
    # Status.OrViolation: the swap's condition is either the intervention's or the accumulation's
    assert explain(refused.value) == ("ConditionViolation(status 5, no branch holds: an allowance "
                                      "spent or a parameter outside every branch) from the Roles "
                                      "modifier")
    unsent = await pool.fetchval("SELECT count(*) FROM safe_proposals_outbox WHERE sent_at IS NULL")
    assert unsent == 1  # for the service's relay (no publisher here)
