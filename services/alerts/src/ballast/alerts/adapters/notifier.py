"""Sending through apprise: one URL per channel (Slack, Telegram, PagerDuty, email, webhooks...).

Apprise is synchronous (requests underneath); `NotifyBase.async_notify` runs the send in
apprise's own thread pool, which is what we await. Apprise answers only True/False, so a failure
is "refused or unreachable" and the outbox retries it.

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

WEBHOOK_SCHEMES = {"json", "jsons", "form", "forms", "xml", "xmls"}
PAYLOAD_EXTRA_SCHEMES = {"json", "jsons", "form", "forms"}


class Notifier(Protocol):
    async def send(self, channel: Channel, rows: Sequence[OutboxRow]) -> str | None:
        """Deliver the rows as one message; None on success, else the reason it failed."""
        ...


def _line(payload: dict[str, Any]) -> str:
    alert = payload["alert"]
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.get("labels", {}).items()))
    value = f" value={alert['value']}" if alert.get("value") is not None else ""
    flags = " ESCALATED" if alert.get("escalated") else ""
    return (
        f"[{alert['severity'].upper()}{flags}] {alert['state'].upper()} {alert['rule']}: "
        f"{alert['summary']}{value}{' (' + labels + ')' if labels else ''} [id {payload['id']}]"
    )


def render(rows: Sequence[OutboxRow]) -> tuple[str, str, apprise.NotifyType]:
    """Title, body and apprise type. Several rows make one digest (a burst is never dropped)."""
    if len(rows) == 1:
        alert = rows[0].payload["alert"]
        title = f"[{alert['severity'].upper()}] {alert['state'].upper()}: {alert['summary']}"
        return title, _line(rows[0].payload), _type(alert)
    worst = max(rows, key=lambda r: _rank(r.payload["alert"]))
    title = f"[{worst.payload['alert']['severity'].upper()}] digest of {len(rows)} notifications"
    body = "\n".join(_line(r.payload) for r in rows)
    return title, body, _type(worst.payload["alert"])


def _rank(alert: dict[str, Any]) -> int:
    order = {"info": 0, "governance": 1, "warning": 2, "critical": 3}
    return order.get(alert["severity"], 0) + (10 if alert["state"] == "firing" else 0)


def _type(alert: dict[str, Any]) -> apprise.NotifyType:
    if alert["state"] == "resolved":
        return apprise.NotifyType.SUCCESS
    return {
        "critical": apprise.NotifyType.FAILURE,
        "warning": apprise.NotifyType.WARNING,
    }.get(alert["severity"], apprise.NotifyType.INFO)


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
        title, body, notify_type = render(rows)
        ids = [r.notification_id for r in rows]
        url = with_idempotency(channel.url, channel.scheme, ids)
        plugin: Any = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if not plugin:
            return f"not a usable apprise URL ({channel.redacted})"
        ok = await plugin.async_notify(body=body, title=title, notify_type=notify_type)
        return None if ok else f"{channel.redacted} refused or unreachable"
