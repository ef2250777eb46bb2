"""The monitor on the devnet `ballast up` deploys: StakingManager address from deployment.json
(BALLAST_VALIDATOR_MONITOR_DEPLOYMENT_FILE), the real StakingManager delegating through
MockCoreAgent, and the five validators the deployer elected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from ballast.devnet import Deployment
from ballast.testing.devnet import deployed_devnet
from ballast.validator_monitor.main import ValidatorMonitorApp, build_app
from ballast.validator_monitor.settings import ValidatorMonitorSettings

E18 = 10**18


@pytest.fixture
def devnet(anvil: Any, tmp_path: Path) -> Iterator[tuple[Deployment, Path]]:
    with deployed_devnet(anvil, tmp_path) as devnet:
        yield devnet


@pytest.fixture
async def app(
    nats_server: Any, bus_namespace: str, database_url: str, anvil: Any,
    devnet: tuple[Deployment, Path],
) -> AsyncIterator[ValidatorMonitorApp]:
    settings = ValidatorMonitorSettings(
        nats_url=nats_server.url, bus_prefix=bus_namespace, database_url=database_url,
        http_port=0, http_host="127.0.0.1", rpc_url=anvil.rpc_url, confirmations=0,
        deployment_file=devnet[1],
    )
    built = build_app(settings, poll=False)
    await built.start()
    yield built
    await built.stop()


async def test_monitor__devnet_staking_manager_delegates__our_delegation_on_every_validator(
    anvil: Any, devnet: tuple[Deployment, Path], app: ValidatorMonitorApp
) -> None:
    deployment, _ = devnet
    assert app.chain.delegator == Web3.to_checksum_address(deployment.etf.staking_manager)
    await app.core.poll()
    ops = [Web3.to_checksum_address(v.operator) for v in deployment.validators]
    assert set(ops) <= set(app.core.state.validators)
    assert all(app.core.state.validators[op].reading.status_bits == 17 for op in ops)
    before = {op: app.core.state.validators[op].reading.our_delegation_raw for op in ops}

    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    basket = w3.eth.contract(address=Web3.to_checksum_address(deployment.etf.stake_basket),
                             abi=_artifact_abi("StakeBasket"))
    # the deployer is an operator (no admin: that is the timelock's): 10 CORE of the basket's
    # free liquidity go to staking, which the StakingManager delegates by its targets
    operator = Web3.to_checksum_address(deployment.deployer)
    tx = basket.functions.deployLiquidity(10 * E18, 0).transact({"from": operator})
    assert w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.005)["status"] == 1

    result = await app.core.poll()
    assert result.statuses == len(ops)
    state = app.core.state.validators
    # five validators at 20% each: 2 CORE more on every one (the deployer may have seeded some)
    assert {op: state[op].reading.our_delegation_raw - before[op] for op in ops} == {
        op: 2 * E18 for op in ops}
    await asyncio.sleep(0)
    again = await app.core.poll()
    assert again.statuses == 0


def _artifact_abi(name: str) -> list[dict[str, Any]]:
    import json

    root = Path(__file__).resolve().parents[4]
    data = json.loads((root / "contracts" / "artifacts" / f"{name}.json").read_text())
    return list(data["abi"])
