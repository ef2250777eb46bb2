"""Pure helpers: namespace ownership, database URLs, the Docker probe's refusals."""

from __future__ import annotations

import pytest

from ballast.testing.containers import engine_answers
from ballast.testing.natsserver import owned_by
from ballast.testing.pg import database_name, redact, with_database


@pytest.mark.parametrize(
    "stream",
    ["TAB12CD34001_PRICES", "tab12cd34001_prices", "KV_tab12cd34001_leases", "OBJ_TAB12CD34001_x"],
)
def test_owned_by__namespace_streams_and_buckets__owned(stream: str) -> None:
    assert owned_by("tab12cd34001", stream)


@pytest.mark.parametrize("stream", ["PRICES", "TAB12CD34002_PRICES", "KV_leases", "XTAB12CD34001"])
def test_owned_by__other_streams__not_owned(stream: str) -> None:
    assert not owned_by("tab12cd34001", stream)


def test_with_database__admin_url__same_server_other_database() -> None:
    admin = "postgresql://u:pw@db.example:6543/postgres?sslmode=disable"
    url = with_database(admin, "t_1a2b_3")
    assert url == "postgresql://u:pw@db.example:6543/t_1a2b_3?sslmode=disable"
    assert database_name(url) == "t_1a2b_3"


def test_redact__password__hidden() -> None:
    assert redact("postgresql://u:hunter2@h/db") == "postgresql://u:***@h/db"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"


def test_engine_answers__missing_socket_or_tls__false_without_connecting() -> None:
    assert not engine_answers("unix:///nonexistent/docker.sock")
    assert not engine_answers("ssh://someone@somewhere")
