"""Delivery pieces without I/O: rendering, idempotency URLs, backoff, channels, settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import apprise

from ballast.alerts.adapters.channels import Channels, channel_id
from ballast.alerts.adapters.notifier import render, with_idempotency
from ballast.alerts.adapters.outbox import OutboxRow
from ballast.alerts.delivery import DeliveryPolicy
from ballast.alerts.settings import AlertsSettings

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def row(i: int, severity: str = "critical", state: str = "firing") -> OutboxRow:
    alert: dict[str, Any] = {
        "key": f"validator_jailed{{operator=0x{i}}}",
        "rule": "validator_jailed",
        "severity": severity,
        "state": state,
        "labels": {"operator": f"0x{i}"},
        "summary": f"Validator 0x{i} is jailed",
        "description": "Round: 12\nMissed blocks: 3",
        "value": "True",
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + timedelta(minutes=12)).isoformat() if state == "resolved" else None,
        "escalated": False,
        "runbook_url": "docs/runbook.md#validator_jailed",
    }
    return OutboxRow(
        id=i, key=alert["key"], sequence=1, channel="ch-1", notification_id=f"n{i}-1",
        severity=severity, payload={"id": f"n{i}-1", "alert": alert}, attempts=1,
        created_at=T0, expires_at=T0 + timedelta(days=1),
    )  # fmt: skip


def test_render__one_row__title_names_severity_state_and_summary_once() -> None:
    page, kind = render([row(1)])
    assert page.title == "[CRITICAL] FIRING: Validator 0x1 is jailed"
    assert page.text.splitlines() == [
        "Round: 12",
        "Missed blocks: 3",
        "Since: 2026-11-22 12:00 UTC",
        "Runbook: docs/runbook.md#validator_jailed",
        "Alert: validator_jailed{operator=0x1} (notification n1-1)",
    ]
    assert kind is apprise.NotifyType.FAILURE


def test_render__one_row__html_facts_and_runbook_link() -> None:
    page, _ = render([row(1)])
    assert "<b>Round:</b> 12<br><b>Missed blocks:</b> 3" in page.html
    assert '<a href="docs/runbook.md#validator_jailed">' in page.html
    assert "is jailed" not in page.html  # the summary is the subject, not repeated


def test_render__several_rows__one_digest_with_every_id_worst_first() -> None:
    rows = [row(1, "warning"), row(2, "critical"), row(3, "info", "resolved")]
    page, kind = render(rows)
    assert page.title == "[CRITICAL] 3 alerts: 2 firing, 1 resolved"
    headings = [line for line in page.text.splitlines() if line.startswith("[")]
    assert headings == [
        "[CRITICAL] FIRING: Validator 0x2 is jailed",
        "[WARNING] FIRING: Validator 0x1 is jailed",
        "[INFO] RESOLVED after firing for 12 min: Validator 0x3 is jailed",
    ]
    assert [f"notification n{i}-1" in page.text for i in (1, 2, 3)] == [True] * 3
    assert kind is apprise.NotifyType.FAILURE


def test_render__resolved__says_how_long_it_fired_success_type() -> None:
    page, kind = render([row(1, state="resolved")])
    assert page.title == "[CRITICAL] RESOLVED after firing for 12 min: Validator 0x1 is jailed"
    assert "Missed blocks" not in page.text  # the facts were those of the firing
    assert page.text.splitlines()[0] == "Fired: 2026-11-22 12:00 to 12:12 UTC"
    assert kind is apprise.NotifyType.SUCCESS


def test_with_idempotency__json_url__header_and_payload_field_apprise_parses() -> None:
    url = with_idempotency("json://127.0.0.1:8080/hook", "json", ["a-1", "b-2"])
    plugin: Any = apprise.Apprise.instantiate(url)
    assert plugin.headers == {"Idempotency-Key": "a-1,b-2"}
    assert plugin.payload_extras == {"idempotency_key": "a-1,b-2"}
    assert plugin.fullpath == "/hook"


def test_with_idempotency__url_with_query__parameters_appended() -> None:
    url = with_idempotency("json://127.0.0.1/hook?method=PUT", "json", ["a-1"])
    plugin: Any = apprise.Apprise.instantiate(url)
    assert plugin.method == "PUT" and plugin.headers == {"Idempotency-Key": "a-1"}


def test_with_idempotency__chat_channel__url_unchanged() -> None:
    url = "tgram://123456789:abcdefg_hijklmnop/12315544/"
    assert with_idempotency(url, "tgram", ["a-1"]) == url


def test_backoff__attempts__doubles_up_to_the_cap() -> None:
    policy = DeliveryPolicy(backoff_base=timedelta(seconds=1), backoff_max=timedelta(seconds=10))
    assert [policy.backoff(n).total_seconds() for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_channels__same_url__same_id_and_never_the_url_itself() -> None:
    url = "slack://TokenA/TokenB/TokenC/#alerts"
    channels = Channels({"critical": [url], "warning": [url]})
    ids = {c.id for c in channels.for_route("critical") + channels.for_route("warning")}
    assert ids == {channel_id(url)} and "Token" not in channel_id(url)
    assert channels.for_route("governance") == []
    assert channels.for_route("critical")[0].redacted == f"slack://{channel_id(url)}"
    assert Channels({"x": ["json://hooks.local:8080/a?+Auth=s3cret"]}).for_route("x")[
        0
    ].redacted == "json://hooks.local"


def test_settings__channels_file__read_when_no_inline_channels(tmp_path: Path) -> None:
    path = tmp_path / "channels.json"
    path.write_text(json.dumps({"critical": ["json://127.0.0.1/hook"]}))
    settings = AlertsSettings(
        database_url="postgresql://x@127.0.0.1/db",  # pyright: ignore[reportArgumentType]
        channels_file=path,
    )
    assert settings.channels == {"critical": ["json://127.0.0.1/hook"]}
