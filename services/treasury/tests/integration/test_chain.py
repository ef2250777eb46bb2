"""Web3ChainReader against anvil with the committed artifacts: ERC-20 balances, native CORE,
PSTR total supply and a Uniswap V2 LP position, all read at one block, from a deployment.json
of the devnet deployer's shape."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from web3 import Web3

from ballast.treasury.adapters.chain import ChainLayout, Web3ChainReader

ARTIFACTS = Path(__file__).resolve().parents[4] / "contracts" / "artifacts"
E18 = 10**18


def artifact(name: str) -> dict[str, Any]:
    path = ARTIFACTS / f"{name}.json"
    if not path.exists():
        path = ARTIFACTS / "uniswap" / f"{name}.json"
    return json.loads(path.read_text())


def deploy(w3: Web3, name: str, *args: Any) -> Any:
    art = artifact(name)
    tx = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"]).constructor(*args).transact()
    address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    return w3.eth.contract(address=address, abi=art["abi"])


def send(w3: Web3, call: Any) -> None:
    w3.eth.wait_for_transaction_receipt(call.transact())


async def test_web3_chain_reader__devnet_shaped_deployment__balances_supply_and_lp(
    anvil_snapshot: Any, tmp_path: Path
) -> None:
    w3 = Web3(Web3.HTTPProvider(anvil_snapshot.rpc_url))
    admin, treasury = w3.to_checksum_address(anvil_snapshot.accounts[0]), w3.to_checksum_address(
        anvil_snapshot.accounts[5]
    )
    w3.eth.default_account = admin
    pstr = deploy(w3, "TestToken", "PSTR", "PSTR", 18)
    pump = deploy(w3, "TestToken", "PUMP", "PUMP", 18)
    usdc = deploy(w3, "TestToken", "USD Coin", "USDC", 6)
    send(w3, pstr.functions.mint(admin, 10_000_000 * E18))
    send(w3, pump.functions.mint(treasury, 45_000_000 * E18))
    send(w3, usdc.functions.mint(treasury, 7_500_000 * 10**6))
    send(w3, usdc.functions.mint(admin, 1_000_000 * 10**6))

    factory = deploy(w3, "UniswapV2Factory", admin)
    send(w3, factory.functions.createPair(pstr.address, usdc.address))
    pair_address = factory.functions.getPair(pstr.address, usdc.address).call()
    pair = w3.eth.contract(address=pair_address, abi=artifact("UniswapV2Pair")["abi"])
    send(w3, pstr.functions.transfer(pair_address, 1_000_000 * E18))
    send(w3, usdc.functions.transfer(pair_address, 1_000_000 * 10**6))
    send(w3, pair.functions.mint(treasury))
    t0, t1 = sorted((pstr.address, usdc.address), key=str.lower)

    deployment = tmp_path / "deployment.json"
    deployment.write_text(json.dumps({
        "treasury": treasury,
        "tokens": {
            "PSTR": {"address": pstr.address, "decimals": 18},
            "PUMP": {"address": pump.address, "decimals": 18},
            "USDC": {"address": usdc.address, "decimals": 6},
        },
        "pools": {"PSTR-USDC": {"pair": pair_address, "token0": t0, "token1": t1}},
    }))
    reader = Web3ChainReader(anvil_snapshot.rpc_url, ChainLayout.from_deployment(deployment))

    snap = await reader.snapshot()
    amounts = {b.symbol: b.amount for b in snap.balances}
    assert amounts["PUMP"] == D(45_000_000) and amounts["USDC"] == D(7_500_000)
    assert amounts["PSTR"] == 0 and amounts["CORE"] == D(10_000)
    assert snap.pstr_total_supply == D(10_000_000)
    assert snap.block_number == w3.eth.block_number

    (pool,) = await reader.pools()
    assert pool.pair == "PSTR-USDC"
    assert {pool.token0, pool.token1} == {"PSTR", "USDC"}
    assert {pool.reserve0, pool.reserve1} == {D(1_000_000)}
    # sqrt(1e24 x 1e12) = 1e18 LP units minted, 1000 of them locked forever (the pair's
    # MINIMUM_LIQUIDITY): the treasury holds the rest
    assert pool.lp_supply == D(1)
    assert pool.lp_balance_raw == 10**18 - 1000
