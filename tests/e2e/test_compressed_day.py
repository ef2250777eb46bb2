"""A compressed day of treasury and ETF automation (issue #18's acceptance): all services as
processes on one devnet, every action first in paper mode (previewed, nothing signed), then live.

Paper mode:
- a depositor puts 20,000 CORE into the basket (and coreBTC beside it, on the basket's 60/40
  CORE/BTC target, so no asset rebalance joins the day: test_asset_rebalance.py has that one):
  a staking preview;
- the treasury's liquidity report (every 2 s here, daily in production) asks for each pool's
  budget: an add preview per pool (capital $1M x 10% x 60/40);
- an operator stakes 15,000 CORE (and the coreBTC) by hand and the depositor asks for more
  than is left: the request is queued, unfunded: a funding preview;
- 30 Core rounds of rewards accrue: a compounding preview.
Live (the intervention service restarted with MODE=live):
- the queue is funded by a recall ahead of maturity, the rewards compounded, both pools added
  at 60/40, and a second deposit staked above the 10% instant-withdrawal buffer.
Paper again, then live: PSTR moves 25% on every source, the PSTR-USDC band is left; the
rebalance is previewed, then done once (remove, re-add). At maturity the depositor's claim
succeeds. Each action is exactly one confirmed `automation.executed` with its transaction and
one set of pool/contract events on-chain; gas per action and the realised APY are printed.
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

ETH = 10**18
BURN = Web3.keccak(text="Burn(address,uint256,uint256,address)").hex()
MINT = Web3.keccak(text="Mint(address,uint256,uint256)").hex()
PAIRS = ("PUMP-WCORE", "PSTR-USDC")
KINDS = ("liquidity_add", "stake", "fund_withdrawals", "compound", "liquidity_rebalance")


@pytest.fixture
def e2e_overrides() -> dict[str, dict[str, str]]:
    return {"treasury": {"LIQUIDITY_INTERVAL_SECONDS": "2"},
            "intervention": {"MODE": "dry_run", "STAKE_INTERVAL_SECONDS": "5",
                             "FUND_INTERVAL_SECONDS": "5", "COMPOUND_INTERVAL_SECONDS": "5"},
            "contract-monitor": {"POLL_INTERVAL_SECONDS": "0.5"}}


def pstr_step(price: str) -> Step:
    return Step(index=1, at=30, targets={s: {"PSTR": Decimal(price)} for s in SOURCES},
                note="PSTR moved on every source")


class Day:
    """The chain, the bus and the contracts the run reads."""

    def __init__(self, e2e: Any) -> None:
        self.e2e, self.w3, d = e2e, e2e.market.w3, e2e.system.deployment
        self.deployment = d
        self.treasury = str(Account.from_key(TREASURY_KEY).address)
        self.user, self.operator = self.w3.eth.accounts[3], self.w3.eth.accounts[0]
        self.basket = self.contract("StakeBasket", d.etf.stake_basket)
        self.manager = self.contract("StakingManager", d.etf.staking_manager)
        self.queue = self.contract("UnbondingQueue", d.etf.unbonding_queue)
        self.agent = self.contract("MockCoreAgent", d.core_system.core_agent)

    def contract(self, name: str, address: str) -> Any:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                    abi=load_artifact(name).abi)

    def actions(self, kind: str, status: str) -> list[dict[str, Any]]:
        return [a for a in self.e2e.bus.on("automation.executed")
                if a["kind"] == kind and a["status"] == status]

    def send(self, fn: Any, sender: str, value: int = 0) -> Any:
        tx = fn.transact({"from": sender, "value": value})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
        return receipt

    def together(self, *calls: tuple[Any, int]) -> None:
        """The user's calls (each with its value) mined in one block: no reader sees half."""
        rpc = self.w3.provider.make_request  # type: ignore[attr-defined]
        rpc("evm_setAutomine", [False])
        try:
            sent = [fn.transact({"from": self.user, "value": value}) for fn, value in calls]
            rpc("evm_mine", [])
        finally:
            rpc("evm_setAutomine", [True])
        for tx in sent:
            assert self.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    def signed(self) -> int:
        return self.w3.eth.get_transaction_count(self.treasury)

    def held(self) -> int:
        return self.w3.eth.get_balance(Web3.to_checksum_address(self.deployment.etf.stake_basket))

    def pair_logs(self, pair: str, topic: str) -> int:
        address = self.deployment.pools[pair].pair
        return len(self.w3.eth.get_logs({
            "address": Web3.to_checksum_address(address), "fromBlock": 0, "toBlock": "latest",
            "topics": ["0x" + topic.removeprefix("0x")]}))

    def positions(self) -> dict[str, Any] | None:
        for state in reversed(self.e2e.bus.on("liquidity.state")):
            by_pair = {p["pair"]: p for p in state["positions"]}
            if all(int(by_pair.get(p, {}).get("lp_balance_raw", 0)) > 0 for p in PAIRS):
                return state
        return None

    def restart(self, mode: str) -> None:
        system = self.e2e.system
        system.overrides = {**system.overrides, "intervention": {
            **system.overrides["intervention"], "MODE": mode}}
        system.restart("intervention", crash=False)

    def advance_to(self, timestamp: int) -> None:
        seconds = timestamp - self.w3.eth.get_block("latest")["timestamp"] + 1
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[attr-defined]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[attr-defined]


@pytest.mark.timeout(600)  # eight phases, each a wait of its own: ~250 s on an idle machine
async def test_day__each_action_previewed_then_done_once(
    e2e: Any, feeds: Any,
) -> None:
    with feeds(e2e, pstr_step) as market:
        await run(e2e, Day(e2e), market)


async def run(e2e: Any, day: Day, market: Any) -> None:
    w3 = day.w3
    w3.provider.make_request("anvil_setBalance", [day.user, hex(100_000 * ETH)])  # type: ignore[attr-defined]
    nonce = day.signed()

    # ---------------------------------------------------------------- paper mode
    # $24,000 of CORE, a large deposit, and $16,000 of coreBTC beside it, in one block: on the
    # 60/40 target, or the CORE deposit drifts the split past 10% and the asset rebalance's
    # recall funds the queue before fund_withdrawals does
    core_btc, sats = day.contract("MockCoreBTC", day.deployment.etf.corebtc), 24_615_384
    day.send(core_btc.functions.mint(day.user, sats), day.user)
    day.send(core_btc.functions.approve(day.basket.address, sats), day.user)
    day.together((day.basket.functions.deposit(0), 20_000 * ETH),
                 (day.basket.functions.depositCoreBTC(sats, 0), 0))
    await e2e.wait(lambda: day.actions("stake", "dry_run"), 60, "a dry-run stake")
    await e2e.wait(lambda: len({a["details"].get("pair") for a in
                                day.actions("liquidity_add", "dry_run")}) == 2,
                   90, "a dry-run liquidity_add for each pool")
    # by hand, the coreBTC too (its free liquidity would otherwise ask for a stake)
    day.send(day.basket.functions.deployLiquidity(15_000 * ETH, sats), day.operator)
    day.send(day.basket.functions.withdraw(9_600 * ETH, 0, 0), day.user)  # ~8,000 CORE > 5,000
    request_id = day.queue.functions.nextId().call() - 1
    request = day.queue.functions.getRequest(request_id).call()
    owed, ready_at = request[4], request[6]
    assert owed > day.held()  # queued, unfunded
    await e2e.wait(lambda: day.actions("fund_withdrawals", "dry_run"), 60,
                   "a dry-run fund_withdrawals")
    day.send(day.agent.functions.setRound(day.agent.functions.roundTag().call() + 30),
             day.operator)
    await e2e.wait(lambda: day.actions("compound", "dry_run"), 60, "a dry-run compound")
    assert day.signed() == nonce  # nothing signed in paper mode
    assert all(day.pair_logs(p, MINT) == 1 for p in PAIRS)  # only the deployer's seeding

    # ---------------------------------------------------------------- live
    day.restart("live")
    [fund] = await e2e.wait(lambda: day.actions("fund_withdrawals", "confirmed"), 120,
                            "the queue funded by a recall")
    assert day.held() >= owed
    assert w3.eth.get_block("latest")["timestamp"] < ready_at  # ahead of maturity
    [compound] = await e2e.wait(lambda: day.actions("compound", "confirmed"), 120,
                                "rewards compounded")
    assert day.manager.functions.pendingRewards().call() == 0
    await e2e.wait(lambda: len(day.actions("liquidity_add", "confirmed")) == 2, 120,
                   "both pools added live")
    state = await e2e.wait(day.positions, 30, "liquidity.state with both positions")
    weights = {p["pair"]: Decimal(p["actual_weight"]) for p in state["positions"]
               if p["pair"] in PAIRS}
    assert abs(weights["PUMP-WCORE"] - Decimal("0.6")) < Decimal("0.03"), weights
    assert abs(weights["PSTR-USDC"] - Decimal("0.4")) < Decimal("0.03"), weights

    assert not day.actions("stake", "confirmed")  # nothing above the buffer while owed
    day.send(day.basket.functions.deposit(0), day.user, 10_000 * ETH)
    [stake] = await e2e.wait(lambda: day.actions("stake", "confirmed"), 90, "a live stake")
    free, staked = day.held() - owed, day.manager.functions.totalStaked().call()
    assert free == (free + staked) // 10  # the buffer stays, the rest is staked

    # ---------------------------------------------------------------- a >15% move
    day.restart("dry_run")
    before = day.signed()
    await market.move_pstr("1.25")
    await e2e.wait(lambda: day.actions("liquidity_rebalance", "dry_run"), 120,
                   "a dry-run rebalance of PSTR-USDC")
    assert day.signed() == before and day.pair_logs("PSTR-USDC", BURN) == 0
    day.restart("live")
    [rebalance] = await e2e.wait(lambda: day.actions("liquidity_rebalance", "confirmed"), 120,
                                 "the PSTR-USDC position rebalanced")
    assert rebalance["details"]["pair"] == "PSTR-USDC"

    # ---------------------------------------------------------------- the claim at maturity
    day.advance_to(ready_at)
    balance = w3.eth.get_balance(day.user)
    claim = day.send(day.basket.functions.claimWithdrawal(request_id), w3.eth.accounts[4])
    assert w3.eth.get_balance(day.user) == balance + owed

    # ---------------------------------------------------------------- each exactly once
    added = day.actions("liquidity_add", "confirmed")
    assert {a["details"]["pair"] for a in added} == set(PAIRS)
    for kind in KINDS:
        expected = 2 if kind == "liquidity_add" else 1
        assert len(day.actions(kind, "confirmed")) == expected, kind
        assert all(a["tx_hash"] for a in day.actions(kind, "confirmed")), kind
    assert not [a for a in e2e.bus.on("automation.executed")
                if a["kind"] == "asset_rebalance"]  # the split stayed within 10% all day
    assert day.pair_logs("PSTR-USDC", BURN) == 1  # one remove
    assert day.pair_logs("PSTR-USDC", MINT) == 3  # seeding, the add, the re-add
    assert day.pair_logs("PUMP-WCORE", BURN) == 0
    for action in (*added, stake, fund, compound, rebalance):
        legs = {k: v for k, v in action["details"].items() if k.endswith("_gas_used")}
        print(f"gas {action['kind']} {action['details'].get('pair', '')}: "
              f"{action['details'].get('gas_used')} {legs or ''} tx {action['tx_hash']}")
    print(f"gas claimWithdrawal (user): {claim['gasUsed']}")
    await print_apy(e2e)


async def print_apy(e2e: Any) -> None:
    """The realised APY (NAV growth) against native CORE staking, from the services' metrics."""
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
