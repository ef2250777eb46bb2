"""Local off-chain price servers for the devnet: Pyth Hermes (REST + SSE) and Switchboard
Crossbar, speaking the real formats (formats.py), priced from the chain the market scenario
moves (chain.py). `ballast up` and the e2e harness run it as its own process:

    python -m ballast.cli.offchain --rpc-url http://127.0.0.1:8545 \\
        --deployment .ballast/deployment.json --port 8710

and the devnet oracle config (ballast.devnet.oracle) points its `pyth_hermes` and
`switchboard_crossbar` sources at it.
"""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

from ballast.devstack.processes import ManagedProcess, start_process


def offchain_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def start_offchain(
    rpc_url: str, deployment: Path, port: int, log_path: Path, *, die_with_parent: bool = False,
    timeout: float = 30.0,
) -> ManagedProcess:
    """Start the server process and wait until it has read the chain once (/healthz 200)."""
    proc = start_process(
        [sys.executable, "-m", "ballast.cli.offchain", "--rpc-url", rpc_url,
         "--deployment", str(deployment), "--port", str(port)],
        name="offchain", log_path=log_path, die_with_parent=die_with_parent,
        env={"PYTHONUNBUFFERED": "1"},
    )
    try:
        proc.wait_until(lambda: _healthy(port), what="offchain /healthz", timeout=timeout,
                        interval=0.1)
    except BaseException:
        proc.stop()
        raise
    return proc


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"{offchain_url(port)}/healthz", timeout=1) as r:  # noqa: S310
            return bool(r.status == 200)
    except OSError:
        return False
