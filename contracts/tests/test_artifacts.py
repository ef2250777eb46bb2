"""The committed artifacts in contracts/artifacts/ are what the sources compile to.

The Python side deploys from the committed JSON and never compiles (DESIGN.md "Chain"), so a
source edited without `make contracts` would silently deploy stale bytecode. This test recompiles
everything into a temporary directory with the same script and names every contract whose
committed artifact differs, is missing, or no longer has a source.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

CONTRACTS = Path(__file__).resolve().parents[1]
COMMITTED = CONTRACTS / "artifacts"
FIELDS = ("abi", "bytecode", "deployedBytecode", "sourceName", "contractName")


def _artifacts(root: Path) -> dict[str, dict[str, Any]]:
    """relative path -> parsed artifact, for every artifact the compile script writes."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(root.rglob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "contractName" in data and "abi" in data:
            found[path.relative_to(root).as_posix()] = data
    return found


def test_artifacts__recompiled_from_sources__match_committed(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is needed to compile the contracts (solc-js)"
    assert (CONTRACTS / "node_modules" / "solc").exists(), "run `make setup` (npm ci in contracts/)"
    result = subprocess.run(
        [node, "scripts/compile.mjs", "--out", str(tmp_path)],
        cwd=CONTRACTS,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, f"compile failed:\n{result.stderr[-4000:]}"

    fresh, committed = _artifacts(tmp_path), _artifacts(COMMITTED)
    problems = [f"{n}: not committed (run `make contracts`)" for n in fresh.keys() - committed]
    problems += [f"{n}: committed but no longer compiled" for n in committed.keys() - fresh]
    for name in sorted(fresh.keys() & committed.keys()):
        differing = [f for f in FIELDS if fresh[name].get(f) != committed[name].get(f)]
        if differing:
            problems.append(f"{name}: {', '.join(differing)} changed (run `make contracts`)")
    listing = "\n  ".join(sorted(problems))
    assert not problems, f"stale artifacts in contracts/artifacts/:\n  {listing}"
