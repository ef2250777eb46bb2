"""Contract ABIs and builds: the committed compiler output (contracts/artifacts/*.json,
contracts/artifacts/uniswap/*.json: Uniswap V2 and V3; safe/: Safe 1.4.1; zodiac/: Zodiac Roles v2)
and the ABI files a service ships beside its adapters.

The deployer needs no compiler and no node_modules: `node contracts/scripts/compile.mjs` wrote
one JSON per contract with `abi`, `bytecode` (creation code) and `deployedBytecode` (runtime
code, what `anvil_setCode` installs at the Core system addresses).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PREBUILT_DIRS = ("uniswap", "safe", "zodiac")
ARTIFACTS_ENV = "BALLAST_ARTIFACTS_DIR"


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str


def workspace_root() -> Path:
    """The workspace (the directory with uv.lock) holding this package, else the working
    directory's."""
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for candidate in (start, *start.parents):
            if (candidate / "uv.lock").is_file() and (candidate / "contracts").is_dir():
                return candidate
    raise FileNotFoundError("not inside the Ballast workspace (no uv.lock and contracts/ above)")


def default_artifacts_dir() -> Path:
    """`BALLAST_ARTIFACTS_DIR` when set (a service image: its Dockerfile copies them there),
    else contracts/artifacts of the workspace."""
    named = os.environ.get(ARTIFACTS_ENV)
    return Path(named) if named else workspace_root() / "contracts" / "artifacts"


@cache
def _read(path: Path) -> Artifact:
    data = json.loads(path.read_text())
    return Artifact(
        name=str(data.get("contractName", path.stem)),
        abi=data["abi"],
        bytecode=str(data["bytecode"]),
        deployed_bytecode=str(data.get("deployedBytecode", "0x")),
    )


def load_artifact(name: str, directory: Path | None = None) -> Artifact:
    """`<dir>/<name>.json`, or `<dir>/<sub>/<name>.json` for the npm builds copied beside ours
    (PREBUILT_DIRS: Uniswap V2 and V3, Safe, Zodiac Roles)."""
    base = directory or default_artifacts_dir()
    for path in (base / f"{name}.json", *(base / d / f"{name}.json" for d in PREBUILT_DIRS)):
        if path.is_file():
            return _read(path)
    raise FileNotFoundError(
        f"artifact {name} not found in {base} (or its {', '.join(PREBUILT_DIRS)}/): "
        "run `make contracts`"
    )


@cache
def _abi_file(path: Path) -> tuple[dict[str, Any], ...]:
    data: list[dict[str, Any]] = json.loads(path.read_text())
    return tuple(data)


def load_abi(directory: Path, name: str) -> list[dict[str, Any]]:
    """The ABI in `<directory>/<name>.json` (a JSON list, as a service ships it), read once."""
    return list(_abi_file(directory / f"{name}.json"))
