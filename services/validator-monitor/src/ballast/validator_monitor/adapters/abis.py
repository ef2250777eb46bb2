"""The slices of Core's real ABIs the monitor uses (coredao-org/core-genesis-contract `abi/`,
REFERENCE.md "Core DAO chain"), shipped as JSON beside this module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ballast.common.evm.artifacts import load_abi

_DIR = Path(__file__).parent / "abi"


def load(name: str) -> list[dict[str, Any]]:
    """ValidatorSet, CandidateHub, SlashIndicator, StakeHub or CoreAgent."""
    return load_abi(_DIR, name)
