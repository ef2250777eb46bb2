"""The guardian and the timelock on the ETF suite (issue 21 "Control"): PAUSER_ROLE pauses the
StakeBasket at once and can do nothing else; unpausing and every setter are the admin's
(DEFAULT_ADMIN_ROLE, the PriceFeed's owner), which in production is the governor's timelock, so
a resume waits for the timelock's delay."""

from __future__ import annotations

import pytest
from etf_suite import CORE, E18, Etf

pytestmark = pytest.mark.integration  # contracts/tests is not split by tier folders

UNAUTHORIZED = "AccessControlUnauthorizedAccount"
ZERO_ADDRESS = "0x" + "00" * 20
ZERO_WORD = b"\0" * 32
DELAY = 3_600  # seconds


def test_guardian__pauses__at_once_and_cannot_unpause_or_change_anything(etf: Etf) -> None:
    guardian, stranger = etf.pauser, etf.users[5]
    basket, manager, queue = etf.basket.functions, etf.manager.functions, etf.queue.functions
    receipt = etf.send(basket.pause(), guardian)
    assert etf.events(etf.basket, "Paused", receipt) == [{"account": guardian}]
    assert basket.paused().call()

    pauser_role = basket.PAUSER_ROLE().call()
    for contract, error, call in [
        (etf.basket, UNAUTHORIZED, basket.unpause()),
        (etf.basket, UNAUTHORIZED, basket.setSwapTolerance(2_000)),
        (etf.basket, UNAUTHORIZED, basket.setSwapRouter(stranger)),
        (etf.basket, UNAUTHORIZED, basket.grantRole(pauser_role, stranger)),
        (etf.manager, UNAUTHORIZED, manager.setAssetTargets(5_000, 5_000)),
        (etf.queue, UNAUTHORIZED, queue.setUnbondingPeriod(1)),
        (etf.feed, "OwnableUnauthorizedAccount", etf.feed.functions.removeFeed(CORE)),
    ]:
        etf.expect_revert(contract, error, lambda call=call: etf.send(call, guardian))
    # the operator cannot resume either
    etf.expect_revert(etf.basket, UNAUTHORIZED, lambda: etf.send(basket.unpause(), etf.operator))
    assert basket.paused().call()

    receipt = etf.send(basket.unpause(), etf.admin)
    assert etf.events(etf.basket, "Unpaused", receipt) == [{"account": etf.admin}]
    etf.deposit_core(stranger, E18)


def test_timelock_admin__guardian_paused__resumed_only_by_a_scheduled_call_after_the_delay(
    etf: Etf,
) -> None:
    proposer, guardian, alice = etf.users[4], etf.pauser, etf.users[0]
    timelock = etf.deploy("PstrTimelock", DELAY, [proposer], [ZERO_ADDRESS], ZERO_ADDRESS)
    hand_over(etf, timelock.address)

    basket, queue = etf.basket.functions, etf.queue.functions
    admin_role = basket.DEFAULT_ADMIN_ROLE().call()
    for c in (etf.basket, etf.manager, etf.queue):
        assert c.functions.hasRole(admin_role, timelock.address).call()
        assert not c.functions.hasRole(admin_role, etf.admin).call()
    assert etf.feed.functions.owner().call() == timelock.address
    # the former admin has nothing left
    etf.expect_revert(
        etf.basket, UNAUTHORIZED, lambda: etf.send(basket.setSwapTolerance(1), etf.admin)
    )
    etf.expect_revert(
        etf.queue, UNAUTHORIZED, lambda: etf.send(queue.setUnbondingPeriod(1), etf.admin)
    )

    etf.send(basket.pause(), guardian)  # one transaction, no delay
    etf.expect_revert(etf.basket, "EnforcedPause", lambda: etf.deposit_core(alice, E18))
    etf.expect_revert(etf.basket, UNAUTHORIZED, lambda: etf.send(basket.unpause(), etf.admin))

    targets = [etf.basket.address, etf.queue.address]
    datas = [
        etf.basket.encode_abi("unpause", []),
        etf.queue.encode_abi("setUnbondingPeriod", [86_400]),
    ]
    batch = (targets, [0, 0], datas, ZERO_WORD, ZERO_WORD)
    etf.send(timelock.functions.scheduleBatch(*batch, DELAY), proposer)
    early = timelock.functions.executeBatch(*batch)
    etf.expect_revert(timelock, "TimelockUnexpectedOperationState", lambda: etf.send(early, alice))
    assert basket.paused().call()

    etf.anvil.increase_time(DELAY)
    etf.send(timelock.functions.executeBatch(*batch), alice)  # anyone executes once it is ready
    assert not basket.paused().call()
    assert queue.unbondingPeriod().call() == 86_400
    etf.refresh_prices()  # the delay aged the prices past Pyth's max age
    etf.deposit_core(alice, E18)
    assert etf.shares(alice) > 0


def hand_over(etf: Etf, timelock: str) -> None:
    """What the devnet deployer does last: every admin role to the timelock, then renounced."""
    for c in (etf.basket, etf.manager, etf.queue):
        role = c.functions.DEFAULT_ADMIN_ROLE().call()
        etf.send(c.functions.grantRole(role, timelock), etf.admin)
        etf.send(c.functions.renounceRole(role, etf.admin), etf.admin)
    etf.send(etf.feed.functions.transferOwnership(timelock), etf.admin)
