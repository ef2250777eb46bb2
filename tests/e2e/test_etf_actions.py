"""StakeBasket automation end to end (issue #18): six services as processes, one devnet.

A depositor puts 20,000 CORE (and coreBTC beside it, on the 60/40 asset target) into the basket:
the intervention service, in paper mode first, previews staking it (nothing signed); restarted live
it stakes the free liquidity above the 10% instant-withdrawal buffer. The depositor then asks for
more CORE than the buffer holds: the request is queued, the contract monitor reports it unfunded,
the executor recalls the shortfall (plus the buffer) from staking ahead of maturity. Rewards accrue
over 30 Core rounds and are compounded through StakeHub. After the unbonding period the depositor's
claim succeeds. Each action is one automation.executed with its transaction; gas and the realised
APY are printed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from ballast.cli.scenarios.model import SOURCES, Step
from ballast.common.evm.artifacts import load_artifact
from ballast.devnet.deployer import TREASURY_KEY

pytestmark = pytest.mark.e2e
ETH = 10**18


@pytest.fixture
def e2e_overrides() -> dict[str, dict[str, str]]:
    return {"intervention": {"MODE": "dry_run", "STAKE_INTERVAL_SECONDS": "5",
                             "FUND_INTERVAL_SECONDS": "5", "COMPOUND_INTERVAL_SECONDS": "5"},
            "contract-monitor": {"POLL_INTERVAL_SECONDS": "0.5"}}


def contract(e2e: Any, name: str, address: str) -> Any:
    return e2e.market.w3.eth.contract(address=Web3.to_checksum_address(address),
                                      abi=load_artifact(name).abi)


def actions(e2e: Any, kind: str, status: str) -> list[dict[str, Any]]:
    return [a for a in e2e.bus.on("automation.executed")
            if a["kind"] == kind and a["status"] == status]


def send(e2e: Any, fn: Any, sender: str, value: int = 0) -> Any:
    w3 = e2e.market.w3
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender, "value": value}))
    assert receipt["status"] == 1
    return receipt


def hold(price: str) -> Step:
    return Step(index=1, at=30, targets={s: {"PSTR": Decimal(price)} for s in SOURCES})


async def test_etf__dry_run_then_live__staked_funded_compounded_and_claimed_at_maturity(
    e2e: Any, feeds: Any,
) -> None:
    with feeds(e2e, hold):
        await run(e2e)


async def run(e2e: Any) -> None:
    w3, d = e2e.market.w3, e2e.system.deployment
    treasury = str(Account.from_key(TREASURY_KEY).address)
    user = w3.eth.accounts[3]
    basket = contract(e2e, "StakeBasket", d.etf.stake_basket)
    manager = contract(e2e, "StakingManager", d.etf.staking_manager)
    queue = contract(e2e, "UnbondingQueue", d.etf.unbonding_queue)
    nonce = w3.eth.get_transaction_count(treasury)
    w3.provider.make_request("anvil_setBalance", [user, hex(100_000 * ETH)])  # type: ignore[attr-defined]

    # ---------------------------------------------------------------- paper mode
    # $24,000 of CORE, a large deposit, and $16,000 of coreBTC beside it: on the basket's 60/40
    # CORE/BTC target, so the asset rebalance (test_asset_rebalance.py) stays out of this story
    send(e2e, basket.functions.deposit(0), user, 20_000 * ETH)
    core_btc = contract(e2e, "MockCoreBTC", d.etf.corebtc)
    sats = 24_615_384
    for fn in (core_btc.functions.mint(user, sats),
               core_btc.functions.approve(basket.address, sats),
               basket.functions.depositCoreBTC(sats, 0)):
        send(e2e, fn, user)
    await e2e.wait(lambda: actions(e2e, "stake", "dry_run"), 60, "a dry-run stake")
    assert w3.eth.get_transaction_count(treasury) == nonce  # nothing signed

    # ---------------------------------------------------------------- live: stake
    e2e.system.overrides = {**e2e.system.overrides, "intervention": {
        **e2e.system.overrides["intervention"], "MODE": "live"}}
    e2e.system.restart("intervention", crash=False)
    [stake] = await e2e.wait(lambda: actions(e2e, "stake", "confirmed"), 90, "a live stake")
    staked = manager.functions.totalStaked().call()
    held = w3.eth.get_balance(Web3.to_checksum_address(d.etf.stake_basket))
    assert held == (held + staked) // 10  # the 10% instant-withdrawal buffer, the rest staked

    # ---------------------------------------------------------------- queued, then funded
    shares = 9_600 * ETH  # $9,600 at NAV about 1: about 8,000 CORE at $1.20
    send(e2e, basket.functions.withdraw(shares, 0, 0), user)
    request_id = queue.functions.nextId().call() - 1
    request = queue.functions.getRequest(request_id).call()
    owed, ready_at = request[4], request[6]
    assert owed > held  # more than the buffer: queued
    [fund] = await e2e.wait(lambda: actions(e2e, "fund_withdrawals", "confirmed"), 90,
                            "the queue funded by a recall")
    assert w3.eth.get_balance(Web3.to_checksum_address(d.etf.stake_basket)) >= owed
    assert w3.eth.get_block("latest")["timestamp"] < ready_at  # ahead of maturity

    # ---------------------------------------------------------------- rewards compounded
    agent = contract(e2e, "MockCoreAgent", d.core_system.core_agent)
    send(e2e, agent.functions.setRound(agent.functions.roundTag().call() + 30),
         w3.eth.accounts[0])
    [compound] = await e2e.wait(lambda: actions(e2e, "compound", "confirmed"), 90,
                                "rewards compounded")
    assert manager.functions.pendingRewards().call() == 0

    # ---------------------------------------------------------------- the claim at maturity
    e2e.market.w3.provider.make_request(  # type: ignore[attr-defined]
        "evm_increaseTime", [ready_at - w3.eth.get_block("latest")["timestamp"] + 1])
    e2e.market.w3.provider.make_request("evm_mine", [])  # type: ignore[attr-defined]
    before = w3.eth.get_balance(user)
    receipt = send(e2e, basket.functions.claimWithdrawal(request_id), w3.eth.accounts[4])
    assert w3.eth.get_balance(user) == before + owed
    # each exactly once
    for kind in ("stake", "fund_withdrawals", "compound"):
        assert len(actions(e2e, kind, "confirmed")) == 1, kind
    for action in (stake, fund, compound):
        print(f"gas {action['kind']}: {action['details'].get('gas_used')} "
              f"tx {action['tx_hash']}")
    print(f"gas claimWithdrawal (user): {receipt['gasUsed']}")

    # realised APY (NAV growth over the run, 7 days of chain time) vs native CORE staking
    def sample(service: str, name: str) -> float | None:
        for line in e2e.system.scrape(service).splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    apy = await e2e.wait(lambda: sample("contract-monitor", "ballast_etf_realised_apy"), 30,
                         "a realised APY from the contract monitor")
    native = sample("validator-monitor", "ballast_validator_monitor_our_apy")
    print(f"realised APY {apy:.4%} vs native CORE staking APY "
          f"{'n/a' if native is None else f'{native:.4%}'}")
    assert apy > 0
