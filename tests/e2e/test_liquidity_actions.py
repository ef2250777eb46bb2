"""Liquidity actions end to end (issue #18): six services as processes, one devnet.

The treasury's liquidity report runs every 2 s (daily in production): with no position it asks
for each pool's budget (capital $1M x 10% x 60/40: $60k PUMP-WCORE funded from PUMP, $40k
PSTR-USDC funded from USDC); the intervention service first runs in paper mode (previewed, no
transaction signed), then is restarted live and adds both; PSTR is then moved 25% on every
source, the PSTR-USDC band is left, and the position is rebalanced once (remove, re-add), each
action one `automation.executed` with its transactions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from ballast.cli.scenarios.model import SOURCES, Step
from ballast.devnet.deployer import TREASURY_KEY

pytestmark = pytest.mark.e2e

BURN = Web3.keccak(text="Burn(address,uint256,uint256,address)").hex()
MINT = Web3.keccak(text="Mint(address,uint256,uint256)").hex()
PAIRS = ("PUMP-WCORE", "PSTR-USDC")


@pytest.fixture
def e2e_overrides() -> dict[str, dict[str, str]]:
    return {"treasury": {"LIQUIDITY_INTERVAL_SECONDS": "2"},
            "intervention": {"MODE": "dry_run"}}


def treasury() -> str:
    return str(Account.from_key(TREASURY_KEY).address)


def actions(e2e: Any, kind: str, status: str) -> list[dict[str, Any]]:
    return [a for a in e2e.bus.on("automation.executed")
            if a["kind"] == kind and a["status"] == status]


def pair_logs(e2e: Any, pair: str, topic: str) -> int:
    address = e2e.system.deployment.pools[pair].pair
    return len(e2e.market.w3.eth.get_logs({
        "address": Web3.to_checksum_address(address), "fromBlock": 0, "toBlock": "latest",
        "topics": ["0x" + topic.removeprefix("0x")]}))


def held_positions(e2e: Any) -> dict[str, Any] | None:
    for state in reversed(e2e.bus.on("liquidity.state")):
        by_pair = {p["pair"]: p for p in state["positions"]}
        if all(int(by_pair.get(p, {}).get("lp_balance_raw", 0)) > 0 for p in PAIRS):
            return state
    return None


def pstr_step(price: str) -> Step:
    return Step(index=1, at=30, targets={s: {"PSTR": Decimal(price)} for s in SOURCES},
                note="PSTR moved on every source")


async def test_liquidity__dry_run_then_live__added_60_40_then_one_rebalance_after_a_25pct_move(
    e2e: Any, feeds: Any,
) -> None:
    with feeds(e2e, pstr_step) as market:
        await run(e2e, market)


async def run(e2e: Any, feeds: Any) -> None:
    w3, account = e2e.market.w3, treasury()
    nonce = w3.eth.get_transaction_count(account)

    # ---------------------------------------------------------------- paper mode
    await e2e.wait(lambda: len({a["details"].get("pair") for a in
                                actions(e2e, "liquidity_add", "dry_run")}) == 2,
                   90, "a dry-run liquidity_add for each pool")
    assert w3.eth.get_transaction_count(account) == nonce  # nothing signed
    assert all(pair_logs(e2e, p, MINT) == 1 for p in PAIRS)  # only the deployer's seeding

    # ---------------------------------------------------------------- live
    e2e.system.overrides = {**e2e.system.overrides, "intervention": {
        **e2e.system.overrides["intervention"], "MODE": "live"}}
    e2e.system.restart("intervention", crash=False)
    await e2e.wait(lambda: len(actions(e2e, "liquidity_add", "confirmed")) == 2, 120,
                   "both pools added live")
    added = {a["details"]["pair"]: a for a in actions(e2e, "liquidity_add", "confirmed")}
    assert all(a["tx_hash"] for a in added.values())
    state = await e2e.wait(lambda: held_positions(e2e), 30, "liquidity.state with both positions")
    weights = {p["pair"]: Decimal(p["actual_weight"]) for p in state["positions"]
               if p["pair"] in PAIRS}
    assert abs(weights["PUMP-WCORE"] - Decimal("0.6")) < Decimal("0.03"), weights
    assert abs(weights["PSTR-USDC"] - Decimal("0.4")) < Decimal("0.03"), weights

    # ---------------------------------------------------------------- a >15% move
    await feeds.move_pstr("1.25")
    await e2e.wait(lambda: actions(e2e, "liquidity_rebalance", "confirmed"), 120,
                   "the PSTR-USDC position rebalanced")
    await e2e.wait(lambda: any(s.get("rebalances_30d") == 1 and s["in_range_share"] is not None
                               and Decimal(s["in_range_share"]) == 1
                               for s in e2e.bus.on("liquidity.state")),
                   30, "liquidity.state back in range with one rebalance this month")
    [rebalance] = actions(e2e, "liquidity_rebalance", "confirmed")
    assert rebalance["details"]["pair"] == "PSTR-USDC"
    assert rebalance["tx_hash"] == rebalance["details"]["add_tx"]
    assert pair_logs(e2e, "PSTR-USDC", BURN) == 1  # one remove
    assert pair_logs(e2e, "PSTR-USDC", MINT) == 3  # seeding, the add, the re-add
    assert pair_logs(e2e, "PUMP-WCORE", BURN) == 0
    assert len([a for a in e2e.bus.on("automation.executed")
                if a["kind"] == "liquidity_rebalance"]) == 1
    for action in (*added.values(), rebalance):
        legs = {k: v for k, v in action["details"].items() if k.endswith("_gas_used")}
        print(f"gas {action['kind']} {action['details']['pair']}: {action['details']['gas_used']}"
              f" ({legs})")
