"""StakingManager on anvil behind the StakeBasket, with MockCoreAgent and MockLstBTC: delegation
by target weights, rebalance, compound of per-round rewards, recall from overweight validators,
and the role checks. Validators' targets in the suite: 50% / 30% / 20%.
"""

from __future__ import annotations

import pytest
from etf_suite import E18, VIRTUAL, Etf, expected_shares
from web3.logs import DISCARD

pytestmark = pytest.mark.integration


def _deposit_and_stake(etf: Etf, core: int = 100 * E18, btc: int = 0) -> str:
    alice = etf.users[0]
    etf.deposit_core(alice, core)
    if btc:
        etf.deposit_btc(alice, btc)
    etf.deploy_all_liquidity()
    return alice


def _staked(etf: Etf) -> list[int]:
    return list(etf.manager.functions.currentAllocation().call()[1])


def test_deploy_liquidity__core_and_btc__delegated_by_weight_and_lst_minted(etf: Etf) -> None:
    _deposit_and_stake(etf, 100 * E18, 10_000_000)
    aum = 100 * E18 + 6_000 * E18

    validators, staked, weights = etf.manager.functions.currentAllocation().call()
    assert validators == etf.validators
    assert staked == [50 * E18, 30 * E18, 20 * E18]
    assert weights == [5_000, 3_000, 2_000]
    for validator, amount in zip(validators, staked, strict=True):
        delegation = etf.agent.functions.getDelegator(validator, etf.manager.address).call()
        assert delegation[1] == amount  # realtimeAmount at the CoreAgent
    assert etf.lst_btc.functions.balanceOf(etf.manager.address).call() == 10_000_000
    assert etf.core_btc.functions.balanceOf(etf.basket.address).call() == 0
    breakdown = etf.basket.functions.aumBreakdown().call()
    # staked, lstBTC, rewards, liquidity
    assert list(breakdown[2:6]) == [100 * E18, 6_000 * E18, 0, 0]
    assert etf.aum() == aum
    assert etf.nav() == E18


def test_deploy_liquidity__more_than_free__reverts_insufficient_liquidity(etf: Etf) -> None:
    etf.deposit_core(etf.users[0], 10 * E18)
    deploy = etf.basket.functions.deployLiquidity(10 * E18 + 1, 0)
    etf.expect_revert(etf.basket, "InsufficientLiquidity", lambda: etf.send(deploy, etf.operator))


def test_rebalance__targets_changed__stake_moves_to_new_targets(etf: Etf) -> None:
    _deposit_and_stake(etf)
    nav = etf.nav()
    set_targets = etf.manager.functions.setValidatorTargets(etf.validators, [2_000, 3_000, 5_000])
    etf.send(set_targets, etf.admin)
    assert etf.manager.functions.maxDeviationBps().call() == 3_000

    receipt = etf.send(etf.basket.functions.rebalance(), etf.operator)

    assert _staked(etf) == [20 * E18, 30 * E18, 50 * E18]
    assert etf.manager.functions.maxDeviationBps().call() == 0
    [detail] = etf.events(etf.manager, "Rebalanced", receipt)
    assert detail["stakedBefore"] == [50 * E18, 30 * E18, 20 * E18]
    assert detail["stakedAfter"] == [20 * E18, 30 * E18, 50 * E18]
    [moved] = etf.events(etf.manager, "CoreTransferred", receipt)
    assert (moved["from"], moved["to"], moved["amount"]) == (
        etf.validators[0],
        etf.validators[2],
        30 * E18,
    )
    [summary] = etf.events(etf.basket, "Rebalanced", receipt)
    assert (summary["maxDeviationBeforeBps"], summary["maxDeviationAfterBps"]) == (3_000, 0)
    assert etf.manager.functions.totalStaked().call() == 100 * E18
    assert etf.nav() == nav


def test_compound__rewards_accrued_over_rounds__claimed_and_redelegated(etf: Etf) -> None:
    _deposit_and_stake(etf)
    etf.send(etf.agent.functions.setRewardRatePerRound(E18 // 1_000), etf.admin)  # 0.1% a round
    etf.send(etf.agent.functions.setRound(3), etf.admin)
    reward = 100 * E18 * 3 // 1_000

    assert etf.manager.functions.pendingRewards().call() == reward
    assert etf.basket.functions.aumBreakdown().call()[4] == reward  # rewardsUsd at $1
    nav = etf.nav()
    assert nav == (100 * E18 + reward + VIRTUAL) * E18 // (100 * E18 + VIRTUAL)

    receipt = etf.send(etf.basket.functions.compound(), etf.operator)

    assert etf.manager.functions.totalStaked().call() == 100 * E18 + reward
    assert etf.manager.functions.pendingRewards().call() == 0
    assert _staked(etf) == [
        50 * E18 + reward // 2,
        30 * E18 + reward * 3 // 10,
        20 * E18 + reward // 5,
    ]
    [detail] = etf.events(etf.manager, "Compounded", receipt)
    assert detail["rewardClaimed"] == reward
    assert (detail["totalStakedBefore"], detail["totalStakedAfter"]) == (
        100 * E18,
        100 * E18 + reward,
    )
    [summary] = etf.events(etf.basket, "Compounded", receipt)
    assert summary["rewardClaimed"] == reward
    assert etf.nav() == nav  # rewards were already in NAV: compounding moves value, adds none
    # claimed as on Core: through StakeHub (0x...1010), which the CoreAgent paid
    logs = etf.stake_hub.events.claimedReward().process_receipt(receipt, errors=DISCARD)
    [claimed] = [e["args"] for e in logs if e["address"] == etf.stake_hub.address]
    assert (claimed["delegator"], claimed["amount"]) == (etf.manager.address, reward)


def test_core_agent_claim__called_by_anyone_but_the_stake_hub__reverts(etf: Etf) -> None:
    call = etf.agent.functions.claimReward(etf.manager.address, 0)
    with pytest.raises(Exception, match="OnlyStakeHub|revert|0x"):
        call.transact({"from": etf.admin})


def test_rewards__accrued__next_depositor_buys_at_higher_nav(etf: Etf) -> None:
    _deposit_and_stake(etf)
    etf.send(etf.agent.functions.setRewardRatePerRound(E18 // 100), etf.admin)  # 1% a round
    etf.send(etf.agent.functions.turnRound(), etf.admin)
    aum = 101 * E18
    assert etf.aum() == aum

    bob = etf.users[1]
    etf.deposit_core(bob, 101 * E18)

    assert etf.shares(bob) == expected_shares(101 * E18, 100 * E18, aum)
    assert 100 * E18 - etf.shares(bob) < 10**9  # ~100 BASKET for $101 at NAV ~1.01


def test_recall__partial__undelegates_from_most_overweight_first(etf: Etf) -> None:
    _deposit_and_stake(etf)
    set_targets = etf.manager.functions.setValidatorTargets(etf.validators, [2_000, 3_000, 5_000])
    etf.send(set_targets, etf.admin)

    receipt = etf.send(etf.basket.functions.recallLiquidity(30 * E18, 0), etf.operator)

    assert _staked(etf) == [20 * E18, 30 * E18, 20 * E18]  # all 30 from the 50% validator
    assert etf.core_balance(etf.basket.address) == 30 * E18
    assert etf.events(etf.basket, "LiquidityRecalled", receipt) == [
        {"coreAmount": 30 * E18, "coreBtcAmount": 0}
    ]
    assert etf.nav() == E18


def test_set_validator_targets__invalid_sets__revert(etf: Etf) -> None:
    _deposit_and_stake(etf)
    v = etf.validators
    set_targets = etf.manager.functions.setValidatorTargets
    cases = [
        ("ValidatorStillStaked", set_targets(v[:2], [5_000, 5_000])),  # v[2] still holds stake
        ("InvalidWeights", set_targets(v, [5_000, 3_000, 1_000])),  # sums to 9,000
        ("InvalidWeights", set_targets([v[0], v[0], v[1]], [5_000, 3_000, 2_000])),  # duplicate
        ("InvalidWeights", set_targets(v, [5_000, 5_000, 0])),  # zero weight
    ]
    for error, call in cases:
        etf.expect_revert(etf.manager, error, lambda call=call: etf.send(call, etf.admin))

    etf.send(set_targets(v, [4_000, 4_000, 2_000]), etf.admin)
    assert etf.manager.functions.targetAllocation().call() == [
        v,
        [4_000, 4_000, 2_000],
        5_000,
        5_000,
    ]


def test_manager__strangers_and_wrong_senders__revert(etf: Etf) -> None:
    _deposit_and_stake(etf)
    stranger = etf.users[5]
    manager = etf.manager.functions
    unauthorized = "AccessControlUnauthorizedAccount"
    etf.expect_revert(
        etf.manager, unauthorized, lambda: etf.send(manager.delegateCore(), stranger, value=1)
    )
    etf.expect_revert(etf.manager, unauthorized, lambda: etf.send(manager.stakeBtc(1), stranger))
    etf.expect_revert(etf.manager, unauthorized, lambda: etf.send(manager.unstakeBtc(1), stranger))
    etf.expect_revert(etf.manager, unauthorized, lambda: etf.send(manager.rebalance(), stranger))
    etf.expect_revert(
        etf.manager, unauthorized, lambda: etf.send(manager.setBasket(stranger), stranger)
    )
    etf.expect_revert(
        etf.manager, "UnexpectedSender", lambda: etf.send_value(etf.manager.address, 1, stranger)
    )
    # The operator may drive the manager directly as well as through the basket.
    etf.send(manager.rebalance(), etf.operator)
