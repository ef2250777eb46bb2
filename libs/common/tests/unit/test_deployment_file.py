"""DeploymentFile: what a service reads of deployment.json (every key optional)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ballast.common.deployment import DeploymentFile, DeploymentFileError

A = "0x" + "11" * 20


def test_read__partial_file__present_keys_typed_absent_ones_empty(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps({"etf": {"staking_manager": A}, "surprise": 1,
                                "tokens": {"PSTR": {"address": A, "decimals": 18}}}))
    doc = DeploymentFile.read(path)
    assert doc.etf == {"staking_manager": A} and doc.tokens["PSTR"].decimals == 18
    assert doc.pools == {} and doc.treasury is None
    assert doc.address("etf.staking_manager") == A and doc.address("tokens.PSTR") == A
    assert doc.address("governance.governor") is None and doc.address("multicall3") is None


@pytest.mark.parametrize("text", [None, "not json", '{"tokens": {"PSTR": {"address": 1}}}'])
def test_read__unreadable__error_names_the_file(tmp_path: Path, text: str | None) -> None:
    path = tmp_path / "deployment.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(DeploymentFileError, match=str(path)):
        DeploymentFile.read(path)
