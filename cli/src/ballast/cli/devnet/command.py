"""`ballast deploy devnet [--rpc-url URL] [--out PATH] [--safe]`: deploy, print the addresses,
write the file. `--safe`: the treasury is a Safe and the bot acts through its Roles modifier, with
the role the strategy settings give (ballast.devnet.custody, `ballast custody roles`)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ballast.common.deployment import Deployment
from ballast.common.evm.artifacts import workspace_root
from ballast.devnet.deployer import current_deployment, deploy

DEFAULT_RPC_URL = "http://127.0.0.1:8545"


def data_dir() -> Path:
    """Where `ballast up` keeps its state: BALLAST_DATA_DIR, else <workspace>/.ballast."""
    return Path(os.environ.get("BALLAST_DATA_DIR") or workspace_root() / ".ballast")


def default_rpc_url() -> str:
    """BALLAST_RPC_URL, else the anvil of a running `ballast up`, else localhost:8545."""
    if os.environ.get("BALLAST_RPC_URL"):
        return os.environ["BALLAST_RPC_URL"]
    stack = data_dir() / "stack.json"
    if stack.is_file():
        url = json.loads(stack.read_text()).get("rpc_url")
        if url:
            return str(url)
    return DEFAULT_RPC_URL


def default_deployment_path() -> Path:
    return data_dir() / "deployment.json"


def describe(deployment: Deployment) -> list[str]:
    """One line per recorded contract and account, for the terminal."""
    lines = [
        f"chain {deployment.chain_id}, block {deployment.block}",
        f"{'deployer':<24} {deployment.deployer}",
        f"{'treasury':<24} {deployment.treasury}",
        f"{'trader':<24} {deployment.trader}",
        f"{'guardian (pauser)':<24} {deployment.guardian}",
    ]
    lines += [f"{name:<24} {address}" for name, address in deployment.contract_addresses().items()]
    lines += [f"{'validator ' + str(i):<24} {v.operator} (consensus {v.consensus})"
              for i, v in enumerate(deployment.validators)]
    lines += [f"{'pyth id ' + s:<24} {f.pyth_id}" for s, f in deployment.feeds.items()]
    return lines


def deploy_devnet(rpc_url: str | None, out: Path | None, *, safe: bool = False) -> int:
    url = rpc_url or default_rpc_url()
    path = out or default_deployment_path()
    t0 = time.monotonic()
    from ballast.devnet.chain import connect  # noqa: PLC0415

    recorded = current_deployment(connect(url), path)
    reused = recorded is not None and (not safe or recorded.custody is not None)
    params = None
    if safe:
        from ballast.strategy.settings import strategy_from_env  # noqa: PLC0415

        params = strategy_from_env().params()
    deployment = deploy(url, path, custody=params)
    for line in describe(deployment):
        print(line)
    verb = "already deployed, nothing sent" if reused else "deployed"
    print(f"{verb}: {path} ({time.monotonic() - t0:.2f}s, {url})")
    return 0
