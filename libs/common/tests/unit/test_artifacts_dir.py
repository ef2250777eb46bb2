"""Where contract builds are read from: the workspace's contracts/artifacts, or the directory a
service image names (its Dockerfile copies them there, outside any workspace)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ballast.common.evm.artifacts import ARTIFACTS_ENV, default_artifacts_dir, load_artifact


def test_default_dir__no_override__the_workspace_contracts_artifacts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ARTIFACTS_ENV, raising=False)
    found = default_artifacts_dir()
    assert found.parts[-2:] == ("contracts", "artifacts")
    assert (found / "safe").is_dir()


def test_default_dir__named_by_the_environment__read_from_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    (tmp_path / "safe").mkdir()
    build = {"contractName": "SafeL2", "abi": [{"type": "function", "name": "nonce"}],
             "bytecode": "0x00", "deployedBytecode": "0x00"}
    (tmp_path / "safe" / "SafeL2.json").write_text(json.dumps(build))
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path))
    assert default_artifacts_dir() == tmp_path
    assert load_artifact("SafeL2", default_artifacts_dir()).abi == build["abi"]
    with pytest.raises(FileNotFoundError, match="artifact Roles not found"):
        load_artifact("Roles")
