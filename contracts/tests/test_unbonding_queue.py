"""Queued withdrawals through the StakeBasket and UnbondingQueue on anvil: FIFO order, waiting
for the unbonding period (evm_increaseTime), funding by recalling stake, and claims that pay the
request's owner.
"""

from __future__ import annotations

import pytest
from etf_suite import ASSET_CORE, ASSET_CORE_BTC, E18, UNBONDING_PERIOD, Etf

pytestmark = pytest.mark.integration


def _staked_basket(etf: Etf) -> tuple[str, str]:
    """Alice 100 CORE, Bob 50 CORE, all of it delegated: no liquidity left for instant exits."""
    alice, bob = etf.users[0], etf.users[1]
    etf.deposit_core(alice, 100 * E18)
    etf.deposit_core(bob, 50 * E18)
    etf.deploy_all_liquidity()
    assert etf.core_balance(etf.basket.address) == 0
    return alice, bob


def test_withdraw__no_liquidity__queues_request_and_keeps_nav(etf: Etf) -> None:
    alice, _ = _staked_basket(etf)
    nav_before = etf.nav()

    receipt = etf.withdraw(alice, 40 * E18)

    [queued] = etf.events(etf.basket, "WithdrawalQueued", receipt)
    assert queued["requestId"] == 1
    assert (queued["shares"], queued["amount"], queued["asset"]) == (40 * E18, 40 * E18, ASSET_CORE)
    assert etf.shares(alice) == 60 * E18  # burned at request time
    assert etf.nav() == nav_before  # the owed CORE is a liability, not a loss to the others
    breakdown = etf.basket.functions.aumBreakdown().call()
    assert breakdown[6] == 40 * E18  # queuedLiabilityUsd at $1
    assert etf.aum() == 110 * E18
    request = etf.queue.functions.getRequest(1).call()
    assert request[1] == alice
    assert request[6] - request[5] == UNBONDING_PERIOD  # readyAt - requestedAt


def test_queue__two_requests__fifo_positions_waits_and_totals(etf: Etf) -> None:
    alice, bob = _staked_basket(etf)
    etf.withdraw(alice, 40 * E18)
    etf.anvil.increase_time(3_600)
    etf.refresh_prices()
    etf.withdraw(bob, 20 * E18)
    q = etf.queue.functions

    assert q.queueLength().call() == 2
    assert (q.positionOf(1).call(), q.positionOf(2).call()) == (1, 2)
    assert q.totalQueuedAmount().call() == [60 * E18, 0]
    wait_alice, wait_bob = q.estimatedWait(1).call(), q.estimatedWait(2).call()
    asked_alice = etf.queue.functions.getRequest(1).call()[5]
    asked_bob = etf.queue.functions.getRequest(2).call()[5]
    assert wait_alice == UNBONDING_PERIOD - (etf.now() - asked_alice)
    assert wait_bob - wait_alice == asked_bob - asked_alice >= 3_600
    exists, oldest = q.oldestPendingRequest().call()
    assert exists
    assert (oldest[0], oldest[1]) == (1, alice)


def test_claim__before_unbonding_period__reverts_not_ready(etf: Etf) -> None:
    alice, _ = _staked_basket(etf)
    etf.withdraw(alice, 40 * E18)
    etf.send(etf.basket.functions.recallLiquidity(40 * E18, 0), etf.operator)

    etf.expect_revert(
        etf.queue, "NotReady", lambda: etf.send(etf.basket.functions.claimWithdrawal(1), alice)
    )


def test_claim__after_period_and_partial_recall__pays_in_fifo_order(etf: Etf) -> None:
    alice, bob = _staked_basket(etf)
    etf.withdraw(alice, 40 * E18)  # request 1
    etf.withdraw(bob, 20 * E18)  # request 2
    etf.anvil.increase_time(UNBONDING_PERIOD)

    # Only Alice's 40 CORE comes back: Bob (second in line) may not take it first.
    etf.send(etf.basket.functions.recallLiquidity(40 * E18, 0), etf.operator)
    claim = etf.basket.functions.claimWithdrawal
    etf.expect_revert(etf.queue, "InsufficientFunding", lambda: etf.send(claim(2), bob))

    before = etf.core_balance(alice)
    receipt = etf.send(claim(1), bob)  # anyone may trigger it; the owner is paid
    assert etf.core_balance(alice) == before + 40 * E18
    [claimed] = etf.events(etf.basket, "WithdrawalClaimed", receipt)
    assert (claimed["user"], claimed["requestId"], claimed["amount"]) == (alice, 1, 40 * E18)
    assert etf.queue.functions.positionOf(2).call() == 1

    etf.send(etf.basket.functions.recallLiquidity(20 * E18, 0), etf.operator)
    before = etf.core_balance(bob)
    receipt = etf.send(claim(2), bob)
    assert etf.core_balance(bob) == before + 20 * E18 - etf.gas_cost(receipt)
    assert etf.queue.functions.queueLength().call() == 0
    assert etf.queue.functions.totalQueuedAmount().call() == [0, 0]
    assert etf.queue.functions.oldestPendingRequest().call()[0] is False
    etf.expect_revert(etf.queue, "AlreadyClaimed", lambda: etf.send(claim(1), alice))


def test_withdraw__funds_owed_to_queue__not_available_for_instant_exit(etf: Etf) -> None:
    alice, bob = _staked_basket(etf)
    etf.withdraw(alice, 40 * E18)
    etf.send(etf.basket.functions.recallLiquidity(40 * E18, 0), etf.operator)

    assert etf.basket.functions.availableLiquidity().call()[0] == 0
    assert etf.basket.functions.instantWithdrawalCapacity().call() == [0, 0]
    receipt = etf.withdraw(bob, 10 * E18)  # the 40 CORE held belong to Alice: Bob queues
    assert etf.events(etf.basket, "Withdrawn", receipt) == []
    assert etf.events(etf.basket, "WithdrawalQueued", receipt)[0]["requestId"] == 2
    assert etf.core_balance(etf.basket.address) == 40 * E18


def test_queue__period_shortened__later_request_never_ready_before_earlier(etf: Etf) -> None:
    alice, bob = _staked_basket(etf)
    etf.withdraw(alice, 10 * E18)
    etf.send(etf.queue.functions.setUnbondingPeriod(86_400), etf.admin)
    etf.withdraw(bob, 10 * E18)

    first = etf.queue.functions.getRequest(1).call()
    second = etf.queue.functions.getRequest(2).call()
    assert second[6] == first[6]  # readyAt held back to the earlier request's
    too_long = etf.queue.functions.setUnbondingPeriod(31 * 86_400)
    etf.expect_revert(etf.queue, "InvalidPeriod", lambda: etf.send(too_long, etf.admin))


def test_queue__core_btc_line__independent_of_core_line(etf: Etf) -> None:
    alice, bob = etf.users[0], etf.users[1]
    etf.deposit_btc(alice, 1_000_000)  # $600
    etf.deposit_core(bob, 100 * E18)
    etf.deploy_all_liquidity()
    etf.withdraw(alice, 600 * E18, ASSET_CORE_BTC)  # request 1, coreBTC line
    etf.withdraw(bob, 50 * E18, ASSET_CORE)  # request 2, CORE line
    etf.anvil.increase_time(UNBONDING_PERIOD)

    assert etf.queue.functions.positionOf(2).call() == 1  # first in its own line
    etf.send(etf.basket.functions.recallLiquidity(50 * E18, 0), etf.operator)
    etf.send(etf.basket.functions.claimWithdrawal(2), bob)  # CORE paid; BTC still unbonding

    etf.send(etf.basket.functions.recallLiquidity(0, 1_000_000), etf.operator)
    etf.send(etf.basket.functions.claimWithdrawal(1), bob)
    assert etf.core_btc.functions.balanceOf(alice).call() == 1_000_000
