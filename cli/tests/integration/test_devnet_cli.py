"""The acceptance path, as an operator types it, on a fresh anvil of its own:
`ballast deploy devnet` prints the addresses and writes deployment.json; `ballast scenario crash`
takes PSTR through the three tiers on every source, read back from the chain."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Generator
from decimal import Decimal
from pathlib import Path

import pytest

from ballast.cli.scenarios.driver import Market
from ballast.cli.scenarios.generators import tier
from ballast.devnet import Deployment, load
from ballast.devnet.chain import connect
from ballast.testing.chain import Anvil, anvil_binary, run_anvil


@pytest.fixture(scope="module")
def fresh_anvil(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Generator[Anvil]:
    binary = anvil_binary(request.config.rootpath)
    with run_anvil(tmp_path_factory.mktemp("fresh-anvil"), binary=binary) as node:
        yield node


def ballast(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ballast.cli.main", *args], capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def deployed(fresh_anvil: Anvil, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("cli") / "deployment.json"
    t0 = time.monotonic()
    result = ballast("deploy", "devnet", "--rpc-url", fresh_anvil.rpc_url, "--out", str(out))
    print(f"\n`ballast deploy devnet` on a fresh anvil: {time.monotonic() - t0:.2f}s "
          "(process start included)")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result.stdout


def test_deploy_devnet_cli__fresh_anvil__prints_every_address_and_writes_the_file(
    fresh_anvil: Anvil, deployed: tuple[Path, str]
) -> None:
    out, stdout = deployed
    deployment = load(out)
    assert deployment.chain_id == fresh_anvil.chain_id
    for name, address in deployment.contract_addresses().items():
        assert f"{name}" in stdout and address in stdout
    assert "deployed:" in stdout.splitlines()[-1]
    again = ballast("deploy", "devnet", "--rpc-url", fresh_anvil.rpc_url, "--out", str(out))
    assert again.returncode == 0 and "nothing sent" in again.stdout


def test_scenario_crash_cli__default_steps__pstr_through_all_tiers_on_every_source(
    fresh_anvil: Anvil, deployed: tuple[Path, str]
) -> None:
    out, _ = deployed
    deployment: Deployment = load(out)
    market = Market(connect(fresh_anvil.rpc_url), deployment)
    first = fresh_anvil.block_number()

    def pstr(source: str, block: int | str = "latest") -> Decimal:
        if source == "aggregator":
            return market.aggregator("PSTR", block)[0]
        if source == "pyth":
            return market.pyth_price("PSTR", block)[0]
        return market.dex_prices(block)["PSTR"]

    start = {source: pstr(source) for source in ("aggregator", "pyth", "dex")}
    result = ballast("scenario", "crash", "--rpc-url", fresh_anvil.rpc_url, "--deployment",
                     str(out), "--speed", "0")
    assert result.returncode == 0, result.stderr[-3000:]
    blocks = range(first + 1, fresh_anvil.block_number() + 1)
    assert len(blocks) == 12  # the default crash: twelve steps, one block each
    for source, price in start.items():
        path = [pstr(source, b) for b in blocks]
        tiers = [tier(1 - p / price) for p in path]
        assert tiers == sorted(tiers) and {1, 2, 3} <= set(tiers), (source, tiers)
        assert abs(path[-1] / (price * Decimal("0.65")) - 1) < Decimal("0.0005")
