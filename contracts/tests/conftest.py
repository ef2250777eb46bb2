"""Fixtures for the contract tests.

The ETF suite is deployed once per test module onto the session anvil (the `anvil` fixture of
ballast.testing) and every test runs inside an evm snapshot that is reverted afterwards (`etf`),
so tests are isolated yet cheap. At module end the chain goes back to before the deployment,
leaving nothing behind for other modules. Nothing here is autouse.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ballast.testing.devnet import reverted

# Test modules import the suite helpers as a plain module (pytest runs with --import-mode=importlib,
# which does not put test directories on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from etf_suite import Etf, deploy_etf  # noqa: E402

if TYPE_CHECKING:  # the `anvil` fixture of ballast.testing: only its interface is used
    from ballast.testing.chain import Anvil


@pytest.fixture(scope="module")
def etf_deployed(anvil: Anvil) -> Iterator[Etf]:
    """The suite, deployed once for the module; the chain is put back afterwards."""
    with reverted(anvil):
        yield deploy_etf(anvil)


@pytest.fixture
def etf(etf_deployed: Etf) -> Iterator[Etf]:
    """The module's suite with this test's chain changes reverted afterwards."""
    with reverted(etf_deployed.anvil):
        yield etf_deployed
