"""The tier rule and the unit-test network block (ballast.testing.markers)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import PurePath

import pytest

from ballast.testing.markers import folder_tier, tier_problem


def test_tier_problem__exactly_one_tier__none() -> None:
    assert tier_problem(["unit"]) is None
    assert tier_problem(["integration", "slow", "parametrize"]) is None


def test_tier_problem__no_tier__says_so() -> None:
    assert tier_problem(["slow"]) == "no tier marker"


def test_tier_problem__two_tiers__names_both() -> None:
    assert tier_problem(["unit", "e2e", "unit"]) == "several tier markers (e2e, unit)"


def test_folder_tier__nearest_tier_folder_above_the_module() -> None:
    assert folder_tier(PurePath("services/oracle/tests/unit/test_math.py")) == "unit"
    assert folder_tier(PurePath("tests/e2e/integration/test_x.py")) == "integration"
    assert folder_tier(PurePath("tests/deploy/test_dockerfiles.py")) is None
    assert folder_tier(PurePath("tests/unit.py")) is None  # a module, not a folder


def test_unit_test__socket_connect__fails_with_explanation() -> None:
    with (
        socket.socket() as tcp,
        pytest.raises(pytest.fail.Exception, match="unit tests get no network"),
    ):
        tcp.connect(("127.0.0.1", 4222))
    with (
        socket.socket(socket.AF_UNIX) as sock,
        pytest.raises(pytest.fail.Exception, match="unit tests get no network"),
    ):
        sock.connect_ex("/nonexistent.sock")


async def test_unit_test__asyncio_connection__fails_with_explanation() -> None:
    with pytest.raises(pytest.fail.Exception, match="unit tests get no network"):
        await asyncio.open_connection("127.0.0.1", 5432)
