"""What a person on call reads: the title and body of a page, in plain text and in HTML.

A page is one notification, or a digest of the notifications a group flushed together. The
title says the worst severity, the state and the rule's summary; the body gives the rule's
facts (its rendered `description`, one `Name: value` per line), how long a resolved alert
fired, and the runbook section. Nothing is said twice: the summary is the title of a single
page and the heading of each entry of a digest, never again in its body (issue #24).

Input is the notification payload as it sits in the outbox (`{"id", "alert": Alert JSON}`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any

from ballast.common import humanize

SEVERITY_ORDER = {"info": 0, "governance": 1, "warning": 2, "critical": 3}

Payload = Mapping[str, Any]


@dataclass(frozen=True)
class Page:
    title: str
    text: str
    html: str
    severity: str
    resolved: bool


def _alert(payload: Payload) -> Mapping[str, Any]:
    return payload["alert"]


def _rank(payload: Payload) -> int:
    alert = _alert(payload)
    firing = 10 if alert["state"] == "firing" else 0
    return SEVERITY_ORDER.get(alert["severity"], 0) + firing


def fired_for(alert: Mapping[str, Any]) -> str | None:
    """`12 min` for a resolved alert that knows when it started and ended."""
    if alert.get("state") != "resolved" or not alert.get("ends_at"):
        return None
    started = datetime.fromisoformat(str(alert["starts_at"]))
    ended = datetime.fromisoformat(str(alert["ends_at"]))
    return humanize.duration(max(ended - started, timedelta(0)))


def headline(alert: Mapping[str, Any]) -> str:
    """`FIRING: <summary>`, `RESOLVED after firing for 12 min: <summary>`."""
    state = str(alert["state"]).upper()
    if alert.get("escalated") and alert["state"] == "firing":
        state += " (escalated)"
    duration = fired_for(alert)
    if duration is not None:
        state += f" after firing for {duration}"
    return f"{state}: {alert['summary']}"


def _facts(alert: Mapping[str, Any]) -> list[str]:
    """The rule's description lines, stripped; a resolved page adds nothing else."""
    return [line.strip() for line in str(alert.get("description") or "").splitlines()
            if line.strip()]


def _footer(payload: Payload) -> list[str]:
    alert = _alert(payload)
    started = datetime.fromisoformat(str(alert["starts_at"]))
    lines = [f"Since: {started:%Y-%m-%d %H:%M} UTC"]
    if alert.get("state") == "resolved" and alert.get("ends_at"):
        ended = datetime.fromisoformat(str(alert["ends_at"]))
        until = f"{ended:%H:%M}" if ended.date() == started.date() else f"{ended:%Y-%m-%d %H:%M}"
        lines = [f"Fired: {started:%Y-%m-%d %H:%M} to {until} UTC"]
    if alert.get("runbook_url"):
        lines.append(f"Runbook: {alert['runbook_url']}")
    lines.append(f"Alert: {alert['key']} (notification {payload['id']})")
    return lines


def _text_entry(payload: Payload, heading: bool) -> str:
    alert = _alert(payload)
    lines = [f"[{str(alert['severity']).upper()}] {headline(alert)}"] if heading else []
    if alert["state"] == "firing":
        lines += _facts(alert)
    lines += _footer(payload)
    return "\n".join(lines)


def _html_fact(line: str) -> str:
    """`<b>Name:</b> value`: reads as a table in a mail client, and apprise's own text
    alternative of the HTML (the plain part of the email) keeps `Name: value` on one line."""
    name, sep, value = line.partition(": ")
    if not sep:
        return escape(line)
    return f"<b>{escape(name)}:</b> {escape(value)}"


def _html_entry(payload: Payload, heading: bool) -> str:
    alert = _alert(payload)
    parts: list[str] = []
    if heading:
        parts.append(f"<h3 style=\"margin:16px 0 4px\">[{escape(str(alert['severity']).upper())}]"
                     f" {escape(headline(alert))}</h3>")
    facts = _facts(alert) if alert["state"] == "firing" else []
    if facts:
        parts.append('<p style="margin:4px 0">' + "<br>".join(map(_html_fact, facts)) + "</p>")
    footer: list[str] = []
    for line in _footer(payload):
        name, _, value = line.partition(": ")
        if name == "Runbook":
            value_html = f'<a href="{escape(value, quote=True)}">{escape(value)}</a>'
        else:
            value_html = escape(value)
        footer.append(f"{escape(name)}: {value_html}")
    parts.append('<p style="color:#666;font-size:12px;margin:4px 0">'
                 + "<br>".join(footer) + "</p>")
    return "\n".join(parts)


def render_page(payloads: Sequence[Payload]) -> Page:
    """One page for one notification, or a digest of several (a burst is never dropped)."""
    if not payloads:
        raise ValueError("a page needs at least one notification")
    worst = max(payloads, key=_rank)
    severity = str(_alert(worst)["severity"])
    resolved = all(_alert(p)["state"] == "resolved" for p in payloads)
    if len(payloads) == 1:
        alert = _alert(worst)
        title = f"[{severity.upper()}] {headline(alert)}"
        text = _text_entry(worst, heading=False)
        body_html = _html_entry(worst, heading=False)
    else:
        firing = sum(1 for p in payloads if _alert(p)["state"] == "firing")
        title = (f"[{severity.upper()}] {len(payloads)} alerts: {firing} firing, "
                 f"{len(payloads) - firing} resolved")
        ordered = sorted(payloads, key=_rank, reverse=True)
        text = "\n\n".join(_text_entry(p, heading=True) for p in ordered)
        body_html = "\n<hr>\n".join(_html_entry(p, heading=True) for p in ordered)
    html = f'<div style="font-family:sans-serif;font-size:14px;line-height:1.4">{body_html}</div>'
    return Page(title=title, text=text, html=html, severity=severity, resolved=resolved)
