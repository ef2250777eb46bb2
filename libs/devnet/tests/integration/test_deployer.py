"""`ballast deploy devnet` on anvil: everything it records is on chain, at the reference market,
and a second run sends nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from decimal import Decimal
from pathlib import Path

import pytest
from web3 import Web3

from ballast.cli.scenarios.driver import Market
from ballast.common.evm.artifacts import load_artifact
from ballast.devnet import Deployment, deploy, load
from ballast.devnet import prices as P
from ballast.devnet.chain import connect, contract
from ballast.strategy.onchain import encode, key_bytes, key_name
from ballast.strategy.params import StrategyParams
from ballast.testing.chain import Anvil


@pytest.fixture(scope="module")
def deployed(
    anvil: Anvil, tmp_path_factory: pytest.TempPathFactory
) -> Generator[tuple[Deployment, Path, float]]:
    """One deployment for the module, undone afterwards (the anvil is the session's)."""
    snapshot = anvil.snapshot()
    out = tmp_path_factory.mktemp("devnet") / "deployment.json"
    t0 = time.monotonic()
    deployment = deploy(anvil.rpc_url, out)
    seconds = time.monotonic() - t0
    print(f"\ndevnet deploy: {seconds:.2f}s, {deployment.block} blocks")
    yield deployment, out, seconds
    anvil.revert(snapshot)


@pytest.fixture
def deployment(deployed: tuple[Deployment, Path, float]) -> Deployment:
    return deployed[0]


@pytest.fixture
def w3(anvil: Anvil) -> Web3:
    return connect(anvil.rpc_url)


def test_deploy__on_anvil__every_recorded_address_has_code(
    anvil: Anvil, deployed: tuple[Deployment, Path, float]
) -> None:
    deployment, out, _ = deployed
    w3 = connect(anvil.rpc_url)
    addresses = deployment.contract_addresses()
    assert len(addresses) >= 30
    empty = [name for name, address in addresses.items() if len(w3.eth.get_code(address)) == 0]
    assert empty == []
    assert load(out) == deployment
    assert deployment.chain_id == anvil.chain_id
    assert 0 < deployment.first_block < deployment.block
    assert {"PSTR-PUMP", "PSTR-USDC", "PUMP-WCORE", "WCORE-USDC", "WCORE-coreBTC"} <= set(
        deployment.pools)
    assert set(deployment.feeds) == {"PSTR", "PUMP", "CORE", "BTC", "USDC"}
    assert deployment.multicall3 == "0xcA11bde05977b3631167028862bE2a173976CA11"
    assert deployment.core_system.candidate_hub == "0x0000000000000000000000000000000000001005"


def test_deploy__rerun_on_same_chain__sends_nothing_and_returns_the_record(
    anvil: Anvil, deployed: tuple[Deployment, Path, float]
) -> None:
    deployment, out, _ = deployed
    before = anvil.block_number()
    text = out.read_text()
    again = deploy(anvil.rpc_url, out)
    assert again == deployment
    assert anvil.block_number() == before
    assert out.read_text() == text


def test_deploy__record_whose_code_changed__deploys_afresh(
    anvil_snapshot: Anvil, deployed: tuple[Deployment, Path, float], tmp_path: Path
) -> None:
    deployment, out, _ = deployed
    stale = tmp_path / "deployment.json"
    doc = json.loads(out.read_text())
    doc["code_check"] = "0x" + "00" * 32
    stale.write_text(json.dumps(doc))
    before = anvil_snapshot.block_number()
    fresh = deploy(anvil_snapshot.rpc_url, stale)
    assert anvil_snapshot.block_number() > before
    assert fresh.tokens["PSTR"].address != deployment.tokens["PSTR"].address
    assert load(stale) == fresh


def test_deploy__reference_market__every_source_agrees_and_reserve_ratio_is_3(
    w3: Web3, deployment: Deployment
) -> None:
    market = Market(w3, deployment)
    dex = market.dex_prices()
    for symbol, price in P.FEED_PRICES_USD.items():
        assert market.aggregator(symbol)[0] == price
        assert market.pyth_price(symbol)[0] == price
        if symbol in dex:
            assert abs(dex[symbol] / price - 1) < Decimal("1e-9")
    assert market.pool_price("PSTR-PUMP") in (Decimal(2), Decimal("0.5"))

    erc20 = load_artifact("TestToken")

    def balance(symbol: str, holder: str) -> Decimal:
        token = contract(w3, erc20, deployment.tokens[symbol].address)
        raw = token.functions.balanceOf(holder).call()
        return Decimal(raw).scaleb(-deployment.tokens[symbol].decimals)

    pstr = contract(w3, erc20, deployment.tokens["PSTR"].address)
    supply = Decimal(pstr.functions.totalSupply().call()).scaleb(-18)
    assert supply == P.PSTR_SUPPLY
    treasury_value = (balance("PUMP", deployment.treasury) * P.PRICES_USD["PUMP"]
                      + balance("USDC", deployment.treasury))
    assert treasury_value / (supply * P.PRICES_USD["PSTR"]) == Decimal(3)


def test_deploy__core_system__five_validators_elected_with_both_address_kinds(
    w3: Web3, deployment: Deployment
) -> None:
    vset = contract(w3, load_artifact("CoreValidatorSet"), deployment.core_system.validator_set)
    hub = contract(w3, load_artifact("CoreCandidateHub"), deployment.core_system.candidate_hub)
    consensus = set(vset.functions.getValidators().call())
    operators = set(vset.functions.getValidatorOps().call())
    for v in deployment.validators:
        assert v.consensus in consensus and v.operator in operators
        index = hub.functions.operateMap(v.operator).call() - 1
        assert hub.functions.candidateSet(index).call()[5] == 17  # status: validator


def test_deploy__etf_and_governance__wired_to_the_feeds_and_the_timelock(
    w3: Web3, deployment: Deployment
) -> None:
    basket = contract(w3, load_artifact("StakeBasket"), deployment.etf.stake_basket)
    assert basket.functions.navPerShare().call() == 10**18
    # 10,000 CORE at $1.20 + 0.12307692 coreBTC at $65,000, deposited by the trader at deploy
    # time: the 60/40 asset target of the StakingManager
    assert basket.functions.totalAUM().call() == 12_000 * 10**18 + 12_307_692 * 65_000 * 10**10
    assert basket.functions.swapRouter().call() == deployment.uniswap.router
    assert basket.functions.wrappedCore().call() == deployment.uniswap.weth
    governor = contract(w3, load_artifact("PstrGovernor"), deployment.governance.governor)
    assert governor.functions.timelock().call() == deployment.governance.timelock
    assert governor.functions.token().call() == deployment.governance.token
    assert "power=sqrt" in governor.functions.COUNTING_MODE().call()
    timelock = contract(w3, load_artifact("PstrTimelock"), deployment.governance.timelock)
    proposer = timelock.functions.PROPOSER_ROLE().call()
    assert timelock.functions.hasRole(proposer, deployment.governance.governor).call()
    assert not timelock.functions.hasRole(b"\0" * 32, deployment.deployer).call()


def test_deploy__first_etf_position__both_assets_deposited_in_one_block(
    w3: Web3, deployment: Deployment
) -> None:
    """A reader some blocks behind the head (the contract monitor's confirmations) never sees a
    basket of CORE alone, which is a 100/0 split an asset rebalance would act on."""
    basket = contract(w3, load_artifact("StakeBasket"), deployment.etf.stake_basket)
    deposits = basket.events.Deposited().get_logs(from_block=0, to_block=deployment.block)
    assert sorted(int(e["args"]["asset"]) for e in deposits) == [0, 1]  # CORE, coreBTC
    assert len({e["blockNumber"] for e in deposits}) == 1


def test_deploy__strategy_parameters__owned_by_the_timelock_with_the_library_defaults(
    w3: Web3, deployment: Deployment
) -> None:
    assert deployment.governance.parameters is not None
    params = contract(w3, load_artifact("StrategyParameters"), deployment.governance.parameters)
    assert params.functions.owner().call() == deployment.governance.timelock
    keys, values = params.functions.getAll().call()
    on_chain = {key_name(bytes(k)): v for k, v in zip(keys, values, strict=True)}
    assert on_chain == encode(StrategyParams())
    assert on_chain["trigger_threshold"] == 85 * 10**16
    assert params.functions.bounds(key_bytes("trigger_threshold")).call() == [1, 10**18 - 1]


def test_deploy__v3_pool__concentrated_at_the_reference_price_and_seeded(
    deployment: Deployment, w3: Web3
) -> None:
    assert deployment.uniswap_v3 is not None
    [(name, info)] = deployment.uniswap_v3.pools.items()
    assert (name, info.kind, info.fee, info.tick_spacing) == ("PSTR-USDC-V3", "uniswap_v3",
                                                              3000, 60)
    tokens = {deployment.tokens["PSTR"].address, deployment.tokens["USDC"].address}
    assert {info.token0, info.token1} == tokens
    pool = contract(w3, load_artifact("UniswapV3Pool"), info.pool)
    sqrt_price = int(pool.functions.slot0().call()[0])
    usdc_per_pstr = (Decimal(sqrt_price) / 2**96) ** 2 * 10**12  # raw token1/token0, decimals
    if info.token0 != deployment.tokens["PSTR"].address:
        usdc_per_pstr = 1 / ((Decimal(sqrt_price) / 2**96) ** 2 / 10**12)
    assert abs(usdc_per_pstr - P.PRICES_USD["PSTR"]) < Decimal("0.0001")
    assert int(pool.functions.liquidity().call()) > 0
    manager = contract(w3, load_artifact("NonfungiblePositionManager"),
                       deployment.uniswap_v3.position_manager)
    assert manager.functions.balanceOf(deployment.deployer).call() == 1
