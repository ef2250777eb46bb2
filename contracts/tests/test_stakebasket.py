"""StakeBasket against a real anvil: share math at several NAVs, NAV tracking prices, instant
withdrawals, access control, pause and the first-depositor inflation attack.

Expected figures are recomputed here with the contract's own formulas (conftest.expected_shares /
expected_value, integer floor division), so every assertion is exact, in base units.
"""

from __future__ import annotations

import pytest
from etf_suite import (
    ASSET_CORE,
    ASSET_CORE_BTC,
    E8,
    E18,
    VIRTUAL,
    Etf,
    expected_shares,
    expected_value,
)

pytestmark = pytest.mark.integration


def test_deposit__first_core_deposit__mints_at_one_dollar_nav(etf: Etf) -> None:
    alice = etf.users[0]
    assert etf.nav() == E18

    receipt = etf.deposit_core(alice, 100 * E18)

    assert etf.shares(alice) == 100 * E18
    assert etf.aum() == 100 * E18
    assert etf.nav() == E18
    [event] = etf.events(etf.basket, "Deposited", receipt)
    assert event["user"] == alice
    assert event["asset"] == ASSET_CORE
    assert event["amount"] == 100 * E18
    assert event["valueUsd"] == 100 * E18
    assert event["shares"] == 100 * E18
    assert event["navPerShare"] == E18


@pytest.mark.parametrize("core_price8", [50_000_000, 100_000_000, 370_000_000, 1_234_567_891])
def test_deposit_withdraw__nav_moved_by_core_price__shares_and_payout_match_formula(
    etf: Etf, core_price8: int
) -> None:
    alice, bob = etf.users[0], etf.users[1]
    etf.deposit_core(alice, 100 * E18)
    etf.set_core_price(core_price8)
    core_price = core_price8 * 10**10
    aum = 100 * E18 * core_price // E18
    assert etf.aum() == aum

    btc_in = 5_000_000  # 0.05 coreBTC at $60,000 = $3,000
    value_in = btc_in * 60_000 * E18 // E8
    etf.deposit_btc(bob, btc_in)

    bob_shares = expected_shares(value_in, 100 * E18, aum)
    assert etf.shares(bob) == bob_shares
    assert etf.supply() == 100 * E18 + bob_shares

    # Bob redeems everything for coreBTC, paid from liquidity at once, never more than he put in.
    aum_now = aum + value_in
    value_out = expected_value(bob_shares, 100 * E18 + bob_shares, aum_now)
    amount_out = value_out * E8 // (60_000 * E18)
    receipt = etf.withdraw(bob, bob_shares, ASSET_CORE_BTC)

    assert etf.core_btc.functions.balanceOf(bob).call() == amount_out
    assert etf.shares(bob) == 0
    assert value_out <= value_in
    assert value_in - value_out <= value_in // 10**9  # rounding only
    [event] = etf.events(etf.basket, "Withdrawn", receipt)
    assert event["shares"] == bob_shares
    assert (event["amount"], event["valueUsd"]) == (amount_out, value_out)

    # Alice redeems half in CORE at the moved price: 50 CORE, plus her half of the satoshi dust
    # Bob's payout was rounded down by (rounding favours whoever stays in the vault).
    alice_value = expected_value(50 * E18, 100 * E18, etf.aum())
    before = etf.core_balance(alice)
    receipt = etf.withdraw(alice, 50 * E18, ASSET_CORE)
    paid = etf.core_balance(alice) - before + etf.gas_cost(receipt)
    assert paid == alice_value * E18 // core_price
    one_satoshi_in_core = 60_000 * E18 // E8 * E18 // core_price
    assert 50 * E18 <= paid <= 50 * E18 + one_satoshi_in_core


def test_withdraw__core_btc_instant__pays_satoshis_at_nav(etf: Etf) -> None:
    alice = etf.users[0]
    etf.deposit_btc(alice, 10_000_000)  # 0.1 BTC = $6,000 -> 6,000 BASKET
    assert etf.shares(alice) == 6_000 * E18
    etf.set_btc_price(66_000 * E8)  # +10%

    aum = 10_000_000 * 66_000 * E18 // E8
    value = expected_value(3_000 * E18, 6_000 * E18, aum)
    amount = value * E8 // (66_000 * E18)
    etf.withdraw(alice, 3_000 * E18, ASSET_CORE_BTC)

    assert etf.core_btc.functions.balanceOf(alice).call() == amount
    assert amount == 4_999_999  # half the satoshis, less one for rounding towards the vault
    assert etf.core_btc.functions.balanceOf(etf.basket.address).call() == 10_000_000 - amount


def test_nav__prices_move__nav_and_breakdown_follow(etf: Etf) -> None:
    alice = etf.users[0]
    etf.deposit_core(alice, 100 * E18)
    etf.deposit_btc(alice, 1_000_000)  # $600
    supply = 700 * E18
    assert etf.supply() == supply

    etf.set_core_price(2 * E8)
    assert etf.aum() == 800 * E18
    assert etf.nav() == (800 * E18 + VIRTUAL) * E18 // (supply + VIRTUAL)

    etf.set_btc_price(30_000 * E8)
    breakdown = etf.basket.functions.aumBreakdown().call()
    core_price, btc_price, staked, lst, rewards, liquidity, queued, total = breakdown
    assert (core_price, btc_price) == (2 * E18, 30_000 * E18)
    assert (staked, lst, rewards, queued) == (0, 0, 0, 0)
    assert liquidity == 200 * E18 + 300 * E18
    assert total == 500 * E18
    assert etf.nav() == (500 * E18 + VIRTUAL) * E18 // (supply + VIRTUAL)
    core, btc, usd = etf.basket.functions.availableLiquidity().call()
    assert (core, btc, usd) == (100 * E18, 1_000_000, 500 * E18)
    # The most shares each asset's liquidity can pay out at once.
    assert etf.basket.functions.instantWithdrawalCapacity().call() == [
        expected_shares(200 * E18, supply, 500 * E18),
        expected_shares(300 * E18, supply, 500 * E18),
    ]


def test_deposit__min_shares_above_quote__reverts_slippage(etf: Etf) -> None:
    alice = etf.users[0]
    etf.expect_revert(
        etf.basket,
        "SlippageExceeded",
        lambda: etf.deposit_core(alice, 10 * E18, min_shares=10 * E18 + 1),
    )
    assert etf.shares(alice) == 0


def test_withdraw__min_out_above_quote__reverts_slippage(etf: Etf) -> None:
    alice = etf.users[0]
    etf.deposit_core(alice, 10 * E18)
    etf.expect_revert(
        etf.basket,
        "SlippageExceeded",
        lambda: etf.withdraw(alice, 5 * E18, ASSET_CORE, 5 * E18 + 1),
    )
    assert etf.shares(alice) == 10 * E18


def test_deposit__stale_prices__reverts_and_nothing_minted(etf: Etf) -> None:
    alice = etf.users[0]
    etf.anvil.increase_time(3_601)  # past both the aggregator's and Pyth's max age
    etf.expect_revert(etf.feed, "StalePrice", lambda: etf.deposit_core(alice, E18))
    assert etf.supply() == 0
    etf.refresh_prices()
    etf.deposit_core(alice, E18)
    assert etf.shares(alice) == E18


def test_access__strangers_call_privileged_functions__all_revert(etf: Etf) -> None:
    stranger = etf.users[5]
    unauthorized = "AccessControlUnauthorizedAccount"
    basket, manager, queue = etf.basket.functions, etf.manager.functions, etf.queue.functions
    token = etf.token.functions
    cases = [
        (etf.basket, unauthorized, lambda: etf.send(basket.deployLiquidity(0, 0), stranger)),
        (etf.basket, unauthorized, lambda: etf.send(basket.recallLiquidity(0, 0), stranger)),
        (etf.basket, unauthorized, lambda: etf.send(basket.rebalance(), stranger)),
        (etf.basket, unauthorized, lambda: etf.send(basket.compound(), stranger)),
        (etf.basket, unauthorized, lambda: etf.send(basket.pause(), etf.operator)),
        (etf.manager, unauthorized, lambda: etf.send(manager.rebalance(), stranger)),
        (etf.manager, unauthorized, lambda: etf.send(manager.compound(), stranger)),
        (etf.manager, unauthorized, lambda: etf.send(manager.undelegateCore(1), etf.operator)),
        (etf.manager, unauthorized, lambda: etf.send(manager.setAssetTargets(1, 9_999), stranger)),
        (etf.queue, unauthorized, lambda: etf.send(queue.enqueue(stranger, 0, 1, 1), stranger)),
        (etf.queue, unauthorized, lambda: etf.send(queue.setUnbondingPeriod(1), stranger)),
        (etf.token, "OnlyBasket", lambda: etf.send(token.mint(stranger, 1), stranger)),
        (etf.token, "NotDeployer", lambda: etf.send(token.bindBasket(stranger), stranger)),
        (etf.token, "AlreadyBound", lambda: etf.send(token.bindBasket(stranger), etf.admin)),
        (etf.basket, "UnexpectedSender", lambda: etf.send_value(etf.basket.address, 1, stranger)),
    ]
    for contract, error, action in cases:
        etf.expect_revert(contract, error, action)


def test_pause__paused__user_flows_revert_until_the_admin_unpauses(etf: Etf) -> None:
    alice = etf.users[0]
    etf.deposit_core(alice, 10 * E18)
    receipt = etf.send(etf.basket.functions.pause(), etf.pauser)
    assert etf.events(etf.basket, "Paused", receipt) == [{"account": etf.pauser}]

    etf.expect_revert(etf.basket, "EnforcedPause", lambda: etf.deposit_core(alice, E18))
    etf.expect_revert(etf.basket, "EnforcedPause", lambda: etf.withdraw(alice, E18))
    etf.expect_revert(etf.basket, "EnforcedPause", lambda: etf.deploy_all_liquidity())
    assert etf.shares(alice) == 10 * E18

    etf.send(etf.basket.functions.unpause(), etf.admin)  # the pauser cannot (test_guardian.py)
    etf.withdraw(alice, E18)
    assert etf.shares(alice) == 9 * E18


def test_inflation_attack__donation_after_one_wei_deposit__victim_gets_fair_shares(
    etf: Etf,
) -> None:
    attacker, victim = etf.users[0], etf.users[1]
    etf.deposit_core(attacker, 1)  # 1 wei of CORE at $1 = 1 share-wei
    assert etf.shares(attacker) == 1
    donation = 10 * E8  # 10 coreBTC = $600,000 sent straight to the vault
    etf.send(etf.core_btc.functions.mint(attacker, donation), attacker)
    etf.send(etf.core_btc.functions.transfer(etf.basket.address, donation), attacker)

    deposit = 1_000 * E18  # $1,000
    etf.deposit_core(victim, deposit)

    victim_shares = etf.shares(victim)
    assert victim_shares > 0
    supply, aum = etf.supply(), etf.aum()
    victim_value = expected_value(victim_shares, supply, aum)
    attacker_value = expected_value(1, supply, aum)
    assert deposit - victim_value < deposit // 100_000  # loses under 0.001% to rounding
    assert attacker_value < donation * 60_000 * E18 // E8 // 10**6  # the donation is gone

    # And the victim can actually take it out.
    before = etf.core_balance(victim)
    receipt = etf.withdraw(victim, victim_shares, ASSET_CORE)
    received = etf.core_balance(victim) - before + etf.gas_cost(receipt)
    assert received == victim_value  # CORE at $1: USD-wei == CORE-wei
    assert deposit - received < deposit // 100_000
