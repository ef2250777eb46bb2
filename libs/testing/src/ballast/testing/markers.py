"""Test tiers: every test says what it needs, and unit tests get no network.

The lido-oracle rule (DESIGN.md "Examples to follow"): a test is exactly one of `unit`
(pure logic, no I/O), `integration` (one component against real NATS, Postgres or anvil) or
`e2e` (several services as processes). lido checks it per test at set-up; we check it at
collection, before `-m` deselects anything, so `pytest -m unit` cannot quietly skip an unmarked
test, and every offender is listed in one go.

A test under a `unit/`, `integration/` or `e2e/` folder has that folder's tier (the layout says
it once); a test elsewhere says its tier itself (`pytestmark = pytest.mark.<tier>`), and a
module marker that names another tier than its folder is two tiers: refused.

Unit tests that open a connection fail loudly: a "unit" test that needs a socket is an
integration test, or it is missing a fake.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any, NoReturn

import pytest

TIERS = ("unit", "integration", "e2e")
RULE = (
    "every test must carry exactly one of the markers "
    "@pytest.mark.unit, @pytest.mark.integration, @pytest.mark.e2e "
    "(put the module under a unit/, integration/ or e2e/ folder, or set "
    "`pytestmark = pytest.mark.<tier>` at its top)"
)


def folder_tier(path: PurePath) -> str | None:
    """The tier of the nearest `unit`, `integration` or `e2e` folder above a test module."""
    return next((part for part in reversed(path.parent.parts) if part in TIERS), None)


def mark_folder_tiers(items: Iterable[pytest.Item]) -> None:
    """Give each test its folder's tier (before check_tiers)."""
    for item in items:
        tier = folder_tier(item.path)
        if tier is not None:
            item.add_marker(tier)


def tier_problem(marker_names: Iterable[str]) -> str | None:
    """What is wrong with a test's tier markers, or None when there is exactly one."""
    tiers = sorted(set(marker_names) & set(TIERS))
    if not tiers:
        return "no tier marker"
    if len(tiers) > 1:
        return f"several tier markers ({', '.join(tiers)})"
    return None


def check_tiers(items: Iterable[pytest.Item]) -> None:
    """Raise a UsageError listing every collected test that breaks the rule."""
    problems: list[str] = []
    for item in items:
        problem = tier_problem(m.name for m in item.iter_markers())
        if problem:
            problems.append(f"  {item.nodeid}: {problem}")
    if problems:
        raise pytest.UsageError(f"{RULE}; these do not:\n" + "\n".join(problems))


def _refuse(sock: socket.socket, address: Any, *_: Any) -> NoReturn:
    pytest.fail(
        f"unit test tried to connect a socket to {address!r}: unit tests get no network. "
        "Use a fake (see DESIGN.md, cosmicpython bootstrap) or mark the test integration.",
        pytrace=True,
    )


def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make socket connects fail the test (pytest.fail is not an OSError, so no retry loop or
    `except OSError` swallows it)."""
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)
