"""A page as it arrives by email: apprise `mailto://` to a real local SMTP server."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ballast.alerts.adapters.channels import Channel, channel_id
from ballast.alerts.adapters.notifier import AppriseNotifier
from ballast.alerts.adapters.outbox import OutboxRow
from ballast.alerts.adapters.rules_file import load_rules
from ballast.alerts.domain.config import Grouping
from ballast.alerts.domain.engine import AlertEngine
from ballast.alerts.domain.model import Notification, notification_payload
from ballast.common import messages as m
from ballast.testing.smtp import SmtpReceiver

T0 = datetime(2026, 12, 5, 2, 10, tzinfo=UTC)
DRY_RUN = m.InterventionExecuted(
    decision_id="pstr-20261205-0", status=m.ExecutionStatus.DRY_RUN,
    mode=m.ExecutionMode.DRY_RUN, amount_in_raw=57_142_857_142_857_142_857_142,
    amount_in=Decimal("57142.857142857142857142"), reason="dry run: quoted, not signed",
    executed_at=T0, tier=2, amount_usd=Decimal("25000.00"), price=Decimal("0.7812345678901"),
    vwap_30d=Decimal("1.0183333333333"), reserve_ratio_after=Decimal("2.975000000000001"),
)  # fmt: skip


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


def page_about(fact: m.Message) -> Notification:
    config = dataclasses.replace(load_rules(), grouping=Grouping(timedelta(0), timedelta(0)))
    (notification,) = AlertEngine(config).on_fact("intervention.executed", fact, T0).notifications
    return notification


async def send(smtp: SmtpReceiver, url: str, n: Notification) -> None:
    channel = Channel(channel_id(url), url)
    row = OutboxRow(
        id=1, key=n.key, sequence=n.sequence, channel=channel.id, notification_id=n.id,
        severity=n.alert.severity.value, payload=notification_payload(n), attempts=1,
        created_at=T0, expires_at=T0 + timedelta(hours=1),
    )  # fmt: skip
    assert await AppriseNotifier().send(channel, [row]) is None
    await asyncio.to_thread(smtp.arrived.wait, 10)


async def test_email__intervention_page__html_layout_and_plain_alternative(
    smtp: SmtpReceiver,
) -> None:
    await send(smtp, smtp.url(), page_about(DRY_RUN))

    (email,) = smtp.emails
    assert email.recipients == ("oncall@example.com",)
    assert email.subject == ("[INFO] FIRING: Intervention pstr-20261205-0 dry-run: tier 2, "
                             "57,142.86 PUMP ($25,000.00) for PSTR")
    html, plain = email.part("html"), email.part("plain")
    assert html is not None and plain is not None
    assert "<b>Reserve ratio after:</b> 2.98x (projected at the decision)" in html
    assert "Transaction: dry run: quoted, not signed" in plain.splitlines()
    assert "dry_run" not in email.subject + plain


async def test_email__text_format_channel__plain_body_only(smtp: SmtpReceiver) -> None:
    await send(smtp, smtp.url() + "&format=text", page_about(DRY_RUN))

    (email,) = smtp.emails
    assert email.part("html") is None
    plain = email.part("plain") or ""
    assert plain.splitlines()[:2] == ["Mode: dry-run", "Tier: 2"]
