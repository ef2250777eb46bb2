"""The devnet on a test's anvil: deployed for a module, every change undone afterwards."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from ballast.devnet import Deployment, deploy


class Snapshots(Protocol):
    """What `reverted` needs of an anvil (ballast.devstack.anvil.Anvil)."""

    def snapshot(self) -> str: ...

    def revert(self, snapshot_id: str) -> None: ...


@contextmanager
def reverted(anvil: Snapshots) -> Generator[None]:
    """Every change made to the chain inside the block is undone on the way out."""
    snapshot = anvil.snapshot()
    try:
        yield
    finally:
        anvil.revert(snapshot)


class Node(Snapshots, Protocol):
    rpc_url: str


@contextmanager
def deployed_devnet(anvil: Node, directory: Path) -> Generator[tuple[Deployment, Path]]:
    """`ballast deploy devnet` on `anvil`: the deployment and its deployment.json (written in
    `directory`), undone on the way out."""
    path = directory / "deployment.json"
    with reverted(anvil):
        yield deploy(anvil.rpc_url, path), path
