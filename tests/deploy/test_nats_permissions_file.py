"""The committed NATS accounts file is what the generator makes from the code today."""

from __future__ import annotations

from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"

pytestmark = pytest.mark.unit


def test_accounts_conf__generated_from_code__matches_committed_file() -> None:
    import nats_permissions  # noqa: PLC0415 - deploy/tools is put on sys.path by conftest

    committed = (DEPLOY / "nats" / "accounts.conf").read_text()
    assert committed == nats_permissions.render(nats_permissions.users()), (
        "deploy/nats/accounts.conf is stale: run "
        ".venv/bin/python deploy/tools/nats_permissions.py > deploy/nats/accounts.conf"
    )


def test_permissions__consumer__only_its_own_durables() -> None:
    import nats_permissions  # noqa: PLC0415

    table = nats_permissions.users()
    treasury = table["treasury"]["publish"]
    assert "$JS.API.CONSUMER.MSG.NEXT.PRICES.treasury-consensus" in treasury
    assert not any("intervention_state" in s for s in treasury)
    assert "control.*" in table["operator"]["publish"]
    # the gateway publishes control.* for the operators it authenticates by token
    controllers = {"operator", "gateway"}
    assert all("control.*" not in p["publish"] for u, p in table.items() if u not in controllers)
    assert all(p["subscribe"] == ["_INBOX.>"] for u, p in table.items() if u not in controllers)


def test_permissions__gateway__reads_the_bus_publishes_only_control() -> None:
    import nats_permissions  # noqa: PLC0415

    gateway = nats_permissions.users()["gateway"]
    assert {"prices.>", "treasury.state", "alerts.*", "control.*"} <= set(gateway["subscribe"])
    facts = [s for s in gateway["publish"] if not s.startswith(("$JS.", "heartbeat.gateway"))]
    assert facts == ["control.*", "deadletter.>"]
