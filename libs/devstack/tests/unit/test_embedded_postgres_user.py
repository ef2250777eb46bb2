"""As root, embedded Postgres needs an unprivileged user, and says so when there is none."""

from __future__ import annotations

import pytest

from ballast.devstack import postgres as pg

pytestmark = pytest.mark.unit


def test_unprivileged_user__root_without_that_user__error_says_how_to_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pg.os, "geteuid", lambda: 0)
    monkeypatch.setattr(pg, "RUN_AS", "no-such-user-ballast")
    with pytest.raises(RuntimeError, match=r"(?s)refuses to run as root.*useradd.*DATABASE_URL"):
        pg._unprivileged_user()  # pyright: ignore[reportPrivateUsage]


def test_unprivileged_user__not_root__runs_as_current_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pg.os, "geteuid", lambda: 1000)
    assert pg._unprivileged_user() is None  # pyright: ignore[reportPrivateUsage]
