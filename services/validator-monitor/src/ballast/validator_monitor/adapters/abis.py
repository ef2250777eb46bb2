"""The slices of Core's real ABIs the monitor uses (coredao-org/core-genesis-contract `abi/`,
REFERENCE.md "Core DAO chain"), shipped as JSON beside this module."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_DIR = Path(__file__).parent / "abi"


@cache
def load(name: str) -> list[dict[str, Any]]:
    """ValidatorSet, CandidateHub, SlashIndicator, StakeHub or CoreAgent."""
    data: list[dict[str, Any]] = json.loads((_DIR / f"{name}.json").read_text())
    return data
