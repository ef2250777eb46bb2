"""Sending through apprise: one URL per channel (Slack, Telegram, PagerDuty, email, webhooks...).

Apprise is synchronous (requests underneath); `NotifyBase.async_notify` runs the send in
apprise's own thread pool, which is what we await. Apprise answers only True/False, so a failure
is "refused or unreachable" and the outbox retries it.

A channel that takes HTML (email, by default) gets the page's HTML layout, every other one its
plain text (ballast.alerts.domain.pages); the title is the same for both.

Idempotency: every notification carries its id (`<sha256(key)[:20]>-<sequence>`). Webhook-style
channels (json, form, xml) get the ids in an `Idempotency-Key` header (comma-separated for a
digest) and json/form also in an `idempotency_key` payload field, so a receiver can drop a
repeat that a lost HTTP response would cause. Chat channels get them in the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import quote

import apprise

from ballast.alerts.adapters.channels import Channel
from ballast.alerts.adapters.outbox import OutboxRow
from ballast.alerts.domain.pages import Page, render_page

WEBHOOK_SCHEMES = {"json", "jsons", "form", "forms", "xml", "xmls"}
PAYLOAD_EXTRA_SCHEMES = {"json", "jsons", "form", "forms"}


class Notifier(Protocol):
    async def send(self, channel: Channel, rows: Sequence[OutboxRow]) -> str | None:
        """Deliver the rows as one message; None on success, else the reason it failed."""
        ...


def render(rows: Sequence[OutboxRow]) -> tuple[Page, apprise.NotifyType]:
    """The page for these rows and its apprise type (a digest takes its worst row's)."""
    page = render_page([r.payload for r in rows])
    return page, _type(page)


def _type(page: Page) -> apprise.NotifyType:
    if page.resolved:
        return apprise.NotifyType.SUCCESS
    return {
        "critical": apprise.NotifyType.FAILURE,
        "warning": apprise.NotifyType.WARNING,
    }.get(page.severity, apprise.NotifyType.INFO)


def with_idempotency(url: str, scheme: str, ids: Sequence[str]) -> str:
    if scheme not in WEBHOOK_SCHEMES:
        return url
    joined = quote(",".join(ids), safe=",-")
    params = [f"+Idempotency-Key={joined}"]
    if scheme in PAYLOAD_EXTRA_SCHEMES:
        params.append(f":idempotency_key={joined}")
    return url + ("&" if "?" in url else "?") + "&".join(params)


class AppriseNotifier:
    async def send(self, channel: Channel, rows: Sequence[OutboxRow]) -> str | None:
        page, notify_type = render(rows)
        ids = [r.notification_id for r in rows]
        url = with_idempotency(channel.url, channel.scheme, ids)
        plugin: Any = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if not plugin:
            return f"not a usable apprise URL ({channel.redacted})"
        html = plugin.resolve_format(None) is apprise.NotifyFormat.HTML
        ok = await plugin.async_notify(
            body=page.html if html else page.text,
            title=page.title,
            notify_type=notify_type,
            body_format=apprise.NotifyFormat.HTML if html else apprise.NotifyFormat.TEXT,
        )
        return None if ok else f"{channel.redacted} refused or unreachable"
