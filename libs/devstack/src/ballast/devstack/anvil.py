"""anvil, the local EVM node (npm `@foundry-rs/anvil`): start it and poke it.

anvil comes from `contracts/node_modules` (`make setup` runs `npm ci` there), never from a global
install, so every machine tests against the version in contracts/package-lock.json. It automines
(no `--block-time`): each transaction gets its own block at once, which keeps tests deterministic.

The JSON-RPC helpers are synchronous urllib calls on purpose: they are for test set-up and
assertions (snapshot, revert, mine, warp time), not for the code under test, which brings web3.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ballast.devstack.processes import free_port, repo_root, start_process

CHAIN_ID = 31337
DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
# The ten accounts anvil derives from DEFAULT_MNEMONIC (m/44'/60'/0'/0/i). Public test keys, known
# to everyone: never fund them on a real chain.
DEFAULT_PRIVATE_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)


class RpcError(RuntimeError):
    """A JSON-RPC call answered with an error object."""


def rpc_call(url: str, method: str, params: Sequence[Any] = (), timeout: float = 10.0) -> Any:
    """One JSON-RPC 2.0 call over HTTP; returns `result` or raises RpcError."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    request = urllib.request.Request(  # noqa: S310 - the URL is the local node's http:// URL
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        reply = cast(dict[str, Any], json.loads(response.read()))
    if "error" in reply:
        raise RpcError(f"{method}{list(params)!r} -> {reply['error']}")
    return reply.get("result")


@dataclass(frozen=True)
class Anvil:
    """A running anvil: where it is, its chain id, and its ten funded default accounts.

    `accounts[i]` is the address of `private_keys[i]`; each starts with 10,000 ETH.
    """

    rpc_url: str
    chain_id: int
    accounts: list[str]
    private_keys: list[str]
    pid: int | None = None  # the anvil process, when we started it

    def rpc(self, method: str, *params: Any) -> Any:
        """Any JSON-RPC method (eth_*, evm_*, anvil_*)."""
        return rpc_call(self.rpc_url, method, params)

    def snapshot(self) -> str:
        """Snapshot the whole chain state; returns the id to `revert` to."""
        return str(self.rpc("evm_snapshot"))

    def revert(self, snapshot_id: str) -> None:
        """Restore a snapshot. anvil forgets it (and every later one) after this: snapshot again
        to revert twice."""
        if self.rpc("evm_revert", snapshot_id) is not True:
            raise RpcError(f"evm_revert({snapshot_id}) refused: unknown or already used snapshot")

    def mine(self, blocks: int = 1) -> None:
        """Mine `blocks` empty blocks now."""
        self.rpc("anvil_mine", hex(blocks))

    def increase_time(self, seconds: int, *, mine: bool = True) -> None:
        """Move the chain clock forward; by default mine a block so `latest` shows the new time
        (otherwise the next transaction's block carries it)."""
        self.rpc("evm_increaseTime", seconds)
        if mine:
            self.mine()

    def send_transaction(self, tx: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        """eth_sendTransaction from one of the (unlocked) default accounts; returns the receipt.

        anvil answers with the hash before the automined block exists, so this waits for it.
        """
        tx_hash = str(self.rpc("eth_sendTransaction", tx))
        deadline = time.monotonic() + timeout
        while (receipt := self.rpc("eth_getTransactionReceipt", tx_hash)) is None:
            if time.monotonic() > deadline:
                raise RpcError(f"no receipt for {tx_hash} after {timeout}s")
            time.sleep(0.005)
        return cast(dict[str, Any], receipt)

    def block_number(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def timestamp(self) -> int:
        """The `latest` block's timestamp."""
        block = cast(dict[str, Any], self.rpc("eth_getBlockByNumber", "latest", False))
        return int(block["timestamp"], 16)

    def balance(self, address: str) -> int:
        """Balance in wei at `latest`."""
        return int(self.rpc("eth_getBalance", address, "latest"), 16)

    def set_balance(self, address: str, wei: int) -> None:
        self.rpc("anvil_setBalance", address, hex(wei))


def anvil_binary(start: Path | None = None) -> Path:
    """<repo>/contracts/node_modules/.bin/anvil, or a FileNotFoundError saying how to get it."""
    path = repo_root(start) / "contracts" / "node_modules" / ".bin" / "anvil"
    if not path.exists():
        raise FileNotFoundError(
            f"anvil not found at {path}: run `make setup` (it runs `npm ci` in contracts/, which "
            "installs @foundry-rs/anvil)"
        )
    return path


def _chain_id(url: str) -> int | None:
    try:
        return int(rpc_call(url, "eth_chainId", timeout=0.5), 16)
    except (OSError, urllib.error.URLError, RpcError):
        return None


@contextmanager
def run_anvil(
    workdir: Path,
    *,
    binary: Path | None = None,
    port: int | None = None,
    timeout: float = 10.0,
    die_with_parent: bool = False,
) -> Generator[Anvil]:
    """Start anvil on `port` or a free loopback one (chain 31337, default mnemonic, automine)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [binary or anvil_binary(), "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--chain-id", str(CHAIN_ID), "--accounts", "10", "--mnemonic", DEFAULT_MNEMONIC]
    argv += ["--silent"]
    log_path = workdir / "anvil.log"
    with start_process(
        argv, name="anvil", log_path=log_path, die_with_parent=die_with_parent
    ) as proc:
        proc.wait_until(
            lambda: _chain_id(url) is not None, what=f"eth_chainId at {url}", timeout=timeout
        )
        accounts = cast(list[str], rpc_call(url, "eth_accounts"))
        yield Anvil(
            rpc_url=url,
            chain_id=CHAIN_ID,
            accounts=accounts,
            private_keys=list(DEFAULT_PRIVATE_KEYS[: len(accounts)]),
            pid=proc.pid,
        )
