"""The live terminal view of a running stack: infrastructure, services, latest message per subject.

It listens to the whole bus (every subject pattern, under the stack's namespace) on core NATS, so
it sees every fact without creating consumers, and polls each service's /readyz.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import nats
from rich.console import Group
from rich.table import Table

from ballast.cli.registry import ServiceSpec
from ballast.common import humanize
from ballast.common.subjects import BUS_SUBJECTS, HEARTBEAT_ALL

SUMMARY_FIELDS = (
    "status", "price", "tier", "reserve_ratio", "level", "score", "action", "amount_usd", "state",
    "severity", "ready", "nav_per_share", "summary", "error",
)
NUMBER_FIELDS: dict[str, Callable[[Decimal], str]] = {
    "price": humanize.price,
    "nav_per_share": humanize.price,
    "reserve_ratio": humanize.multiple,
    "score": humanize.percent,
    "amount_usd": humanize.usd,
}
"""How a decimal field of a message reads in the view (ballast.common.humanize); the bus keeps
the exact string."""


@dataclass
class Seen:
    count: int = 0
    last_at: float = 0.0
    summary: str = ""


@dataclass
class BusWatcher:
    """Latest message per subject and latest heartbeat per service."""

    nats_url: str
    prefix: str = ""
    user: str | None = None  # with the password in `password_file` (ballast.cli.busauth)
    password_file: Path | None = None
    subjects: dict[str, Seen] = field(default_factory=dict[str, Seen])
    heartbeats: dict[str, dict[str, Any]] = field(default_factory=dict[str, dict[str, Any]])
    connected: bool = False
    _nc: Any = None

    async def start(self) -> None:
        password = self.password_file.read_text().strip() if self.password_file else None
        self._nc = await nats.connect(self.nats_url, max_reconnect_attempts=-1,
                                      user=self.user, password=password)
        self.connected = True
        for pattern in (*BUS_SUBJECTS, HEARTBEAT_ALL):  # not `>`: it matches JetStream's inboxes
            await self._nc.subscribe(f"{self.prefix}.{pattern}" if self.prefix else pattern,
                                     cb=self._on_msg)

    async def stop(self) -> None:
        if self._nc is not None:
            await self._nc.close()

    async def _on_msg(self, msg: Any) -> None:
        subject = msg.subject
        if subject.startswith("_INBOX") or subject.startswith("$JS"):
            return
        if self.prefix:
            subject = subject[len(self.prefix) + 1 :]
        seen = self.subjects.setdefault(subject, Seen())
        seen.count += 1
        seen.last_at = time.time()
        try:
            body = json.loads(msg.data)
        except ValueError:
            seen.summary = f"<{len(msg.data)} bytes, not JSON>"
            return
        if isinstance(body, dict):
            seen.summary = summarise(body)
            if subject.startswith("heartbeat."):
                self.heartbeats[subject.removeprefix("heartbeat.")] = body


def shown(name: str, value: object) -> str:
    formatter = NUMBER_FIELDS.get(name)
    number = humanize.parse_decimal(value) if isinstance(value, str) else None
    if formatter is not None and number is not None:
        return formatter(number)
    return str(value)


def summarise(body: dict[str, Any]) -> str:
    parts = [f"{k}={shown(k, body[k])}" for k in SUMMARY_FIELDS
             if k in body and body[k] is not None]
    if "symbol" in body:
        parts.insert(0, str(body["symbol"]))
    return " ".join(parts)[:80]


def readyz(port: int) -> str:
    try:
        with urllib.request.urlopen(  # noqa: S310 - our own local ops port
            f"http://127.0.0.1:{port}/readyz", timeout=0.5
        ) as response:
            return "ready" if response.status == 200 else f"http {response.status}"
    except urllib.error.HTTPError as err:
        return "not ready" if err.code == 503 else f"http {err.code}"
    except OSError:
        return "down"


@dataclass(frozen=True)
class InfraRow:
    name: str
    address: str
    up: Callable[[], bool]


def render(
    infra: list[InfraRow],
    services: list[tuple[ServiceSpec, int, Callable[[], bool]]],
    watcher: BusWatcher,
) -> Group:
    now = time.time()
    infra_table = Table(title="Infrastructure", expand=True)
    for col in ("component", "address", "state"):
        infra_table.add_column(col)
    for row in infra:
        state = "[green]up[/]" if row.up() else "[red]down[/]"
        infra_table.add_row(row.name, row.address, state)

    svc_table = Table(title="Services", expand=True)
    for col in ("service", "process", "/readyz", "heartbeat", "metrics"):
        svc_table.add_column(col)
    for spec, port, alive in services:
        beat = watcher.heartbeats.get(spec.name)
        beat_text = "[yellow]none yet[/]"
        if beat is not None:
            sent = datetime.fromisoformat(str(beat.get("sent_at"))).timestamp()
            uptime = humanize.duration(int(beat.get("uptime_seconds") or 0))
            ago = humanize.duration(timedelta(seconds=max(now - sent, 0.0)))
            beat_text = f"{ago} ago, up {uptime}"
        svc_table.add_row(
            spec.name,
            "[green]running[/]" if alive() else "[red]exited[/]",
            readyz(port),
            beat_text,
            f"http://127.0.0.1:{port}/metrics",
        )

    bus_table = Table(title="Latest message per subject", expand=True)
    for col in ("subject", "count", "age", "latest"):
        bus_table.add_column(col)
    for subject in sorted(watcher.subjects):
        seen = watcher.subjects[subject]
        age = humanize.duration(timedelta(seconds=max(now - seen.last_at, 0.0)))
        bus_table.add_row(subject, humanize.count(seen.count), age, seen.summary)
    stamp = datetime.now(UTC).strftime("%H:%M:%S UTC")
    caption = f"{stamp}  Ctrl-C stops everything"
    return Group(infra_table, svc_table, bus_table, caption)


async def collect(watcher: BusWatcher, seconds: float) -> None:
    await watcher.start()
    await asyncio.sleep(seconds)
