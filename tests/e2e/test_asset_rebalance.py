"""The StakeBasket's CORE/BTC asset rebalance end to end (issue #18): six services, one devnet.

The devnet basket starts on its 60/40 CORE/BTC target. A depositor adds 0.15 coreBTC ($9,750 on
a $20,000 basket): CORE is now 41% of it, past the seed's 10% from target. The contract monitor
reports the drift on etf.metrics; the intervention service, in paper mode first, previews one
asset_rebalance (nothing signed); restarted live it sells coreBTC for CORE through the devnet's
WCORE/coreBTC pool (StakeBasket.swapAssets) and stakes the CORE, recalling first if staking got
to the coreBTC before it. One automation.executed with each leg's transaction and gas; the
drift the monitor reports next is back under 10%; done once. Gas per leg is printed.
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

KIND = "asset_rebalance"


@pytest.fixture
def e2e_overrides() -> dict[str, dict[str, str]]:
    return {
        "intervention": {"MODE": "dry_run"},
        "contract-monitor": {"POLL_INTERVAL_SECONDS": "0.5"},
    }


def actions(e2e: Any, status: str) -> list[dict[str, Any]]:
    return [
        a for a in e2e.bus.on("automation.executed") if a["kind"] == KIND and a["status"] == status
    ]


def drift_after(e2e: Any, block: int) -> int | None:
    """The asset drift (bps) of the first etf.metrics read after `block`."""
    for m in e2e.bus.on("etf.metrics"):
        if m["block_number"] > block:
            return int(m["asset_drift_bps"])
    return None


def hold(price: str) -> Step:
    return Step(index=1, at=30, targets={s: {"PSTR": Decimal(price)} for s in SOURCES})


async def test_asset_rebalance__btc_deposit_past_10pct__paper_then_live_once_back_on_target(
    e2e: Any,
    feeds: Any,
) -> None:
    with feeds(e2e, hold):
        await run(e2e)


async def run(e2e: Any) -> None:
    w3, d = e2e.market.w3, e2e.system.deployment
    treasury = str(Account.from_key(TREASURY_KEY).address)
    user = w3.eth.accounts[3]
    basket = w3.eth.contract(
        address=Web3.to_checksum_address(d.etf.stake_basket), abi=load_artifact("StakeBasket").abi
    )
    core_btc = w3.eth.contract(
        address=Web3.to_checksum_address(d.etf.corebtc), abi=load_artifact("MockCoreBTC").abi
    )
    nonce = w3.eth.get_transaction_count(treasury)
    sats = 15_000_000
    for fn in (
        core_btc.functions.mint(user, sats),
        core_btc.functions.approve(basket.address, sats),
        basket.functions.depositCoreBTC(sats, 0),
    ):
        assert w3.eth.wait_for_transaction_receipt(fn.transact({"from": user}))["status"] == 1
    await e2e.wait(
        lambda: any(m["asset_drift_bps"] > 1_000 for m in e2e.bus.on("etf.metrics")),
        60,
        "etf.metrics reporting the drift past 10%",
    )

    # ---------------------------------------------------------------- paper mode
    [preview] = await e2e.wait(lambda: actions(e2e, "dry_run"), 60, "a dry-run asset_rebalance")
    assert preview["details"]["sell"] == "CORE_BTC" and int(preview["details"]["amount_in_raw"])
    assert w3.eth.get_transaction_count(treasury) == nonce  # nothing signed

    # ---------------------------------------------------------------- live
    e2e.system.overrides = {
        **e2e.system.overrides,
        "intervention": {**e2e.system.overrides["intervention"], "MODE": "live"},
    }
    e2e.system.restart("intervention", crash=False)
    [done] = await e2e.wait(lambda: actions(e2e, "confirmed"), 120, "a live asset_rebalance")
    details = done["details"]
    assert details["sell"] == "CORE_BTC" and details["swap_tx"] and details["deploy_tx"]
    block = int(details["block"])
    after = await e2e.wait(
        lambda: drift_after(e2e, block) is not None and (drift_after(e2e, block),),
        60,
        "etf.metrics after the rebalance",
    )
    assert after[0] < 1_000, details  # back within the seed's 10% (about 0)
    assert abs(Decimal(details["drift_after"])) < Decimal("0.01")
    legs = {leg: details.get(f"{leg}_gas_used", "skipped") for leg in ("recall", "swap", "deploy")}
    print(
        f"asset_rebalance gas per leg {legs}, total {details['gas_used']}; drift "
        f"{details['drift_before']} -> {details['drift_after']} ({after[0]} bps on etf.metrics)"
    )

    # done once: later metrics (within the bound) ask for nothing more
    seen = len(e2e.bus.on("etf.metrics"))
    await e2e.wait(lambda: len(e2e.bus.on("etf.metrics")) > seen + 5, 60, "more etf.metrics")
    assert len(actions(e2e, "confirmed")) == 1
    assert not [
        a
        for a in e2e.bus.on("automation.executed")
        if a["kind"] == KIND and a["status"] == "failed"
    ]
