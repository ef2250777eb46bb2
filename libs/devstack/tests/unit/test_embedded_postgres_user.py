"""As root, embedded Postgres needs an unprivileged user, and says so when there is none."""

from __future__ import annotations

import pytest

from ballast.devstack import postgres_home as home


def test_run_as_user__root_without_that_user__one_line_says_how_to_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(home.os, "geteuid", lambda: 0)
    monkeypatch.setattr(home, "RUN_AS", "no-such-user-ballast")
    with pytest.raises(home.EmbeddedPostgresError) as raised:
        home.run_as_user()
    message = str(raised.value)
    assert "\n" not in message
    assert "refuses to run as root" in message
    assert "useradd" in message
    assert "DATABASE_URL" in message


def test_run_as_user__not_root__runs_as_current_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(home.os, "geteuid", lambda: 1000)
    assert home.run_as_user() is None
