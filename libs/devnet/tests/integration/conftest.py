"""The devnet deployed with a Safe, once per module, and the bot sending through its Roles
modifier (ballast.testing.custody.Bot): the custody tests of this folder use them."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from ballast.common.deployment import CustodyInfo
from ballast.devnet import Deployment, deploy
from ballast.devnet.chain import connect
from ballast.strategy.params import StrategyParams
from ballast.testing.chain import Anvil
from ballast.testing.custody import Bot
from ballast.testing.devnet import reverted

PARAMS = StrategyParams()


@pytest.fixture(scope="module")
def deployed(anvil: Anvil, tmp_path_factory: pytest.TempPathFactory) -> Generator[Deployment]:
    out = tmp_path_factory.mktemp("custody") / "deployment.json"
    with reverted(anvil):
        yield deploy(anvil.rpc_url, out, custody=PARAMS)


@pytest.fixture
def chain(deployed: Deployment, anvil: Anvil) -> Generator[Anvil]:
    with reverted(anvil):
        yield anvil


@pytest.fixture
def custody(deployed: Deployment) -> CustodyInfo:
    assert deployed.custody is not None
    return deployed.custody


@pytest.fixture
def bot(chain: Anvil, deployed: Deployment, custody: CustodyInfo) -> Bot:
    b = Bot(connect(chain.rpc_url), deployed, custody)
    receipt = b.through_role(b.token("PUMP"), "approve", deployed.uniswap.router, 2**256 - 1)
    assert receipt["status"] == 1
    return b
