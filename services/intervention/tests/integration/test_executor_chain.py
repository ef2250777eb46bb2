"""The executor on anvil with the real Uniswap V2 contracts: swap, revert, replace, dry run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from ballast.common import subjects
from ballast.common.messages import (
    ControlCommand,
    ControlVerb,
    ExecutionMode,
    ExecutionStatus,
    InterventionExecuted,
)
from ballast.intervention.domain.execution import Phase
from ballast.intervention.metrics import InterventionMetrics

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def executed(harness: Any) -> list[InterventionExecuted]:
    return [
        m for m in harness.published.on(subjects.INTERVENTION_EXECUTED)
        if isinstance(m, InterventionExecuted)
    ]


async def test_executor__live_decision__one_swap_confirmed_and_published(harness: Any) -> None:
    dex = harness.dex
    decision = await harness.decide(NOW)
    registry = CollectorRegistry()
    await harness.settle(harness.executor(metrics=InterventionMetrics(registry)))
    swaps = dex.swaps()
    (outcome,) = executed(harness)
    assert len(swaps) == 1
    assert outcome.decision_id == decision.decision_id
    assert outcome.status is ExecutionStatus.CONFIRMED
    assert outcome.amount_in_raw == decision.amount_in_raw == 50 * 10**18
    assert outcome.amount_in == Decimal(50)  # PUMP, from the token's decimals
    # what the decision saw, carried for the page about it (issue #24)
    assert (outcome.tier, outcome.amount_usd, outcome.price, outcome.vwap_30d) == (
        decision.inputs.tier, decision.amount_usd, decision.inputs.price, decision.inputs.vwap_30d)
    assert outcome.reserve_ratio_after == decision.inputs.reserve_ratio_after is not None
    assert outcome.amount_out_raw > 0 and outcome.amount_out_raw >= outcome.amount_out_min_raw
    assert outcome.slippage == Decimal(0)  # nothing moved between quote and execution
    price = outcome.effective_price  # PUMP per PSTR: 2 in the pool, plus the 0.3% fee
    assert price is not None and Decimal(2) < price < Decimal("2.01")
    assert outcome.gas_used and outcome.gas_cost_wei and outcome.tx_hash
    assert [m.decision_id for m in harness.published.on(subjects.INTERVENTION_DECIDED)] == [
        decision.decision_id
    ]
    assert harness.published.sent[-1].msg_id == f"executed-{decision.decision_id}"
    record = await harness.repo.load(decision.decision_id)
    assert record.execution.phase is Phase.CONFIRMED and record.execution.published
    outcomes = registry.get_sample_value(
        "ballast_intervention_outcomes_total", {"kind": "intervention", "status": "confirmed"}
    )
    assert outcomes == 1
    assert registry.get_sample_value("ballast_intervention_broadcasts_total",
                                     {"result": "sent"}) == 2  # the approval and the swap


async def test_executor__price_moves_over_2pct_after_quote__reverts_failed_not_retried(
    harness: Any,
) -> None:
    dex = harness.dex
    decision = await harness.decide(NOW)
    await harness.settle()  # approval first, so the nonce count below is the swap's alone

    def move_price(point: str) -> None:
        if point == "after_sign_persist":
            dex.move_price(10**24)  # 10% of the pool's PUMP: PSTR per PUMP drops ~17%

    decision2 = await harness.decide(NOW + timedelta(days=3))
    nonce_before = dex.nonce(dex.treasury)
    await harness.settle(harness.executor(crash=move_price))
    await harness.settle()  # a second pass must not retry
    outcome = executed(harness)[-1]
    record = await harness.repo.load(decision2.decision_id)
    assert decision.decision_id != decision2.decision_id
    assert outcome.decision_id == decision2.decision_id
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.reason == (
        "reverted: execution reverted: UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"
    )
    assert len(record.execution.attempts) == 1
    assert dex.nonce(dex.treasury) == nonce_before + 1  # one transaction, reverted, no retry
    assert len(dex.swaps()) == 2, [(m.status, m.reason) for m in executed(harness)]


async def test_executor__stuck_transaction__replaced_same_nonce_with_fee_bump(
    harness: Any,
) -> None:
    dex = harness.dex
    await harness.decide(NOW, mode=ExecutionMode.LIVE)
    # approval mined first with automine on
    executor = harness.executor(stuck_after=timedelta(0))
    decision_id = (await harness.repo.open_executions())[0]
    await executor.run_once()  # approve + swap signed
    dex.node.rpc("evm_setAutomine", False)
    await executor.run_once()
    await executor.run_once()
    record = await harness.repo.load(decision_id)
    attempts = record.execution.attempts
    assert len(attempts) >= 2
    assert len({a.nonce for a in attempts}) == 1
    assert attempts[1].max_fee_per_gas >= attempts[0].max_fee_per_gas * 1.125
    assert attempts[1].max_priority_fee_per_gas >= attempts[0].max_priority_fee_per_gas * 1.125
    dex.node.mine(1)
    dex.node.rpc("evm_setAutomine", True)
    await harness.settle(harness.executor())
    record = await harness.repo.load(decision_id)
    assert record.execution.phase is Phase.CONFIRMED
    assert record.execution.mined_hash in record.execution.hashes
    assert len(dex.swaps()) == 1


async def test_executor__confirmation_depth__confirmed_only_when_deep_enough(
    harness: Any,
) -> None:
    dex = harness.dex
    decision = await harness.decide(NOW)
    executor = harness.executor(confirmations=3)
    for _ in range(4):
        await executor.run_once()
    record = await harness.repo.load(decision.decision_id)
    assert record.execution.phase is Phase.MINED
    dex.node.mine(2)
    await executor.run_once()
    record = await harness.repo.load(decision.decision_id)
    assert record.execution.phase is Phase.CONFIRMED


async def test_executor__dry_run__priced_and_recorded_nothing_signed(harness: Any) -> None:
    dex = harness.dex
    nonce_before = dex.nonce(dex.treasury)
    decision = await harness.decide(NOW, mode=ExecutionMode.DRY_RUN)
    await harness.settle(harness.executor(live=False))
    (outcome,) = executed(harness)
    assert outcome.status is ExecutionStatus.DRY_RUN and outcome.mode is ExecutionMode.DRY_RUN
    assert outcome.amount_out_raw > 0 and outcome.amount_out_min_raw > 0
    assert outcome.tx_hash is None
    assert dex.nonce(dex.treasury) == nonce_before  # no transaction from the treasury account
    assert dex.swaps() == []
    record = await harness.repo.load(decision.decision_id)
    assert record.execution.attempts == () and record.execution.nonce is None


async def test_executor__two_executors_at_once__one_swap(harness: Any) -> None:
    dex = harness.dex
    decision = await harness.decide(NOW)
    first, second = harness.executor(), harness.executor()
    for _ in range(6):
        await asyncio.gather(first.run_once(), second.run_once())
    record = await harness.repo.load(decision.decision_id)
    assert record.execution.phase is Phase.CONFIRMED
    assert len(dex.swaps()) == 1
    assert len(record.execution.attempts) == 1


async def test_executor__nonce_taken_by_another_transaction__failed_not_resigned(
    harness: Any,
) -> None:
    dex = harness.dex
    decision = await harness.decide(NOW)

    class Stop(BaseException):  # like a crash: not an error the executor handles
        pass

    def stop(point: str) -> None:
        if point == "after_sign_persist":
            raise Stop

    await harness.settle()  # nothing yet: first settle approves and swaps; use a second decision
    decision2 = await harness.decide(NOW + timedelta(days=3))
    with pytest.raises(Stop):
        await harness.executor(crash=stop).run_once()
    # someone else spends the reserved nonce with the same key (mined: anvil can answer the
    # send before it mines, and a pending rival is a different case, a replacement race)
    w3 = dex.w3
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": dex.treasury, "to": dex.deployer, "value": 1}))
    await harness.settle(harness.executor(stuck_after=timedelta(0)))  # no grace for the test
    record = await harness.repo.load(decision2.decision_id)
    outcome = executed(harness)[-1]
    assert decision.decision_id != decision2.decision_id
    assert record.execution.phase is Phase.FAILED
    assert outcome.reason is not None and "not ours" in outcome.reason
    assert len(record.execution.attempts) == 1
    assert len(dex.swaps()) == 1


async def test_executor__paused_before_signing__waits_then_resumes(harness: Any) -> None:
    dex = harness.dex
    decision = await harness.decide(NOW)
    cmd = ControlCommand(command_id="p1", command=ControlVerb.PAUSE, issued_by="ops",
                         issued_at=NOW)
    await harness.repo.set_paused(True, cmd)
    await harness.settle(passes=2)
    assert (await harness.repo.load(decision.decision_id)).execution.phase is Phase.DECIDED
    await harness.repo.set_paused(False, cmd.model_copy(update={"command": ControlVerb.RESUME}))
    await harness.settle()
    assert (await harness.repo.load(decision.decision_id)).execution.phase is Phase.CONFIRMED
    assert len(dex.swaps()) == 1


async def test_executor__time_locked_decision__waits_for_approve_then_executes(
    harness: Any,
) -> None:
    dex = harness.dex
    decision = await harness.decide(NOW)
    await harness.repo.pool.execute(
        "UPDATE intervention_decisions SET requires_approval = true WHERE decision_id = $1",
        decision.decision_id,
    )
    await harness.settle(passes=2)
    assert (await harness.repo.load(decision.decision_id)).execution.phase is Phase.DECIDED
    assert dex.swaps() == []
    assert await harness.repo.approve(decision.decision_id, "ops", NOW)
    await harness.settle()
    assert (await harness.repo.load(decision.decision_id)).execution.phase is Phase.CONFIRMED
    assert len(dex.swaps()) == 1


async def test_executor__time_lock_delay_elapsed__executes_without_approve(
    harness: Any,
) -> None:
    decision = await harness.decide(NOW)
    await harness.repo.pool.execute(
        "UPDATE intervention_decisions SET requires_approval = true WHERE decision_id = $1",
        decision.decision_id,
    )
    await harness.settle(harness.executor(approval_delay=timedelta(hours=1)))  # NOW is long past
    assert (await harness.repo.load(decision.decision_id)).execution.phase is Phase.CONFIRMED


async def test_chain__same_signed_bytes_sent_again_after_mined__counts_as_sent(
    harness: Any,
) -> None:
    from ballast.intervention.domain.execution import SendVerdict, after_send

    dex = harness.dex
    signed = await harness.signer.sign({
        "type": 2, "chainId": dex.node.chain_id, "nonce": dex.nonce(dex.treasury),
        "to": dex.deployer, "value": 1, "data": b"", "gas": 21000,
        "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9,
    })
    first = await harness.chain.send_raw(signed.raw)
    again = await harness.chain.send_raw(signed.raw)
    mined = await harness.chain.receipt(signed.tx_hash) is not None
    assert first.outcome.value == "accepted"
    assert after_send(again.outcome, own_hash_mined=mined) is SendVerdict.SENT, again


async def test_chain__private_rpc_configured__broadcast_goes_there_reads_do_not(
    harness: Any,
) -> None:
    from aiohttp import ClientSession, web

    from ballast.intervention.adapters.chain import Chain
    from ballast.intervention.executor import Executor

    seen: dict[str, list[str]] = {"read": [], "private": []}

    def proxy(name: str) -> web.Application:
        async def forward(request: web.Request) -> web.Response:
            body = await request.json()
            seen[name].append(body["method"])
            async with ClientSession() as session, session.post(
                harness.dex.node.rpc_url, json=body
            ) as upstream:
                return web.json_response(await upstream.json())

        app = web.Application()
        app.router.add_post("/", forward)
        return app

    runners = []
    urls = []
    for name in ("read", "private"):
        runner = web.AppRunner(proxy(name))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
        runners.append(runner)
        urls.append(f"http://127.0.0.1:{port}")
    chain = Chain(urls[0], private_rpc_url=urls[1])
    try:
        decision = await harness.decide(NOW)
        executor = Executor(harness.repo, chain, harness.signer, harness.published,
                            harness.config)
        await harness.settle(executor)
        record = await harness.repo.load(decision.decision_id)
    finally:
        await chain.close()
        for runner in runners:
            await runner.cleanup()
    assert record.execution.phase is Phase.CONFIRMED
    assert set(seen["private"]) == {"eth_sendRawTransaction"}
    assert "eth_sendRawTransaction" not in seen["read"] and seen["read"]


async def test_executor__decision_older_than_ttl__expired_failed_nothing_signed(
    harness: Any,
) -> None:
    dex = harness.dex
    nonce = dex.nonce(dex.treasury)
    decision = await harness.decide(NOW)  # March 2026: long before the executor's wall clock
    await harness.settle(harness.executor(decision_ttl=timedelta(hours=6)))
    (outcome,) = executed(harness)
    assert outcome.decision_id == decision.decision_id
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.reason is not None and outcome.reason.startswith("expired")
    assert dex.nonce(dex.treasury) == nonce


async def test_executor__live_decision_without_signer__left_alone_others_proceed(
    harness: Any,
) -> None:
    live = await harness.decide(NOW)
    paper = await harness.decide(NOW + timedelta(days=3), mode=ExecutionMode.DRY_RUN)
    await harness.executor(live=False).run_once()
    assert (await harness.repo.load(live.decision_id)).execution.phase is Phase.DECIDED
    assert (await harness.repo.load(paper.decision_id)).execution.phase is Phase.DRY_RUN


async def test_executor__price_moves_under_2pct_after_quote__confirmed_with_that_slippage(
    harness: Any,
) -> None:
    dex = harness.dex
    await harness.decide(NOW)
    await harness.settle()  # first decision (and the approval) out of the way
    decision = await harness.decide(NOW + timedelta(days=3))

    def nudge(point: str) -> None:
        if point == "after_sign_persist":
            dex.move_price(5 * 10**22)  # 0.5% of the pool's PUMP: PSTR per PUMP about 1% lower

    await harness.settle(harness.executor(crash=nudge))
    outcome = executed(harness)[-1]
    assert outcome.decision_id == decision.decision_id
    assert outcome.status is ExecutionStatus.CONFIRMED
    assert outcome.slippage is not None and Decimal("0.005") < outcome.slippage < Decimal("0.02")
    assert outcome.amount_out_raw >= outcome.amount_out_min_raw


async def test_executor__mined_swap_reorged_away__same_bytes_rebroadcast_one_swap(
    harness: Any,
) -> None:
    dex = harness.dex
    decision = await harness.decide(NOW)
    before_swap: list[str] = []

    def snapshot_before_broadcast(point: str) -> None:
        if point == "after_sign_persist":
            before_swap.append(dex.node.snapshot())

    executor = harness.executor(confirmations=3, crash=snapshot_before_broadcast)
    for _ in range(6):  # the approval, then the swap: each waits for 3 blocks
        await executor.run_once()
        dex.node.mine(2)
        if (await harness.repo.load(decision.decision_id)).execution.phase is Phase.MINED:
            break
    record = await harness.repo.load(decision.decision_id)
    assert record.execution.phase is Phase.MINED and len(dex.swaps()) == 1
    # the approval was signed before the swap: the snapshot of interest is the swap's (last one)
    dex.node.revert(before_swap[-1])  # a reorg: the swap's block is gone
    assert dex.swaps() == []
    for _ in range(4):
        await executor.run_once()
        dex.node.mine(2)
    record = await harness.repo.load(decision.decision_id)
    assert record.execution.phase is Phase.CONFIRMED
    assert len(record.execution.attempts) == 1  # the same signed bytes, not a new transaction
    assert len(dex.swaps()) == 1


async def test_executor__nonce_released_below_a_sent_one__gap_filled_and_the_later_one_mines(
    harness: Any,
) -> None:
    # The e2e stall this guards against: a stake reserved nonce n, a liquidity leg took n + 1
    # and sent it, then the stake ended "not needed" before signing. The node holds n + 1 until
    # n is mined; without a filler the account waits for ever.
    dex = harness.dex
    await harness.decide(NOW)
    await harness.settle()  # the router approval and a first swap: nothing else to approve
    account = harness.signer.address
    gone = await harness.decide(NOW + timedelta(days=3))
    later = await harness.decide(NOW + timedelta(days=6))
    n = dex.nonce(account)
    assert await harness.repo.reserve_nonce(gone.decision_id, account, n)
    released = InterventionExecuted(decision_id=gone.decision_id, status=ExecutionStatus.FAILED,
                                    mode=ExecutionMode.LIVE, reason="not needed", executed_at=NOW)
    # `later` takes n + 1 while `gone` still holds n, then `gone` lets n go
    assert await harness.repo.reserve_nonce(later.decision_id, account, n)
    assert (await harness.repo.load(later.decision_id)).execution.nonce == n + 1
    assert await harness.repo.finalize(gone.decision_id, Phase.FAILED, released,
                                       release_nonce=True)
    await harness.settle()
    record = await harness.repo.load(later.decision_id)
    assert record.execution.phase is Phase.CONFIRMED, record.execution
    assert dex.nonce(account) == n + 2  # the filler at n, the swap at n + 1
    w3 = dex.w3
    [filler] = [tx for b in range(w3.eth.block_number + 1)
                for tx in w3.eth.get_block(b, full_transactions=True)["transactions"]
                if tx["from"] == account and tx["nonce"] == n]
    assert (filler["from"], filler["to"], filler["value"], filler["nonce"]) == (
        account, account, 0, n)
    # reported by nobody: only the swaps' outcomes are on the bus
    assert {m.decision_id for m in executed(harness)} >= {later.decision_id}
    assert all(not m.decision_id.startswith("nonce_fill") for m in executed(harness))
