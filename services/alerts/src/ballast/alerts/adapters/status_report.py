"""The status report to the `report` channels on the seed's 6-hour schedule (PSTR seed,
"6-hour performance reports"; issue 19).

The gateway renders the page (`GET /api/v1/report`, the same as `ballast report`); this service
owns the channels, so it fetches the page with its viewer token and sends it through apprise.
Reports go out at fixed UTC slots (00, 06, 12, 18 h for 6 hours), never at a first start: the
service runs `send` on a `ballast.common.schedule` (one report per slot across replicas and
restarts, one catch-up report after a downtime spanning slots). A failed send raises, so the
slot's claim rolls back and the send is retried on the next check.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import aiohttp
import apprise

from ballast.alerts.adapters.channels import Channel, Channels
from ballast.alerts.settings import AlertsSettings

TITLE = "Ballast status report"


class ReportNotSent(Exception):
    """The page could not be fetched, or a channel did not take it."""


def slot(now: datetime, every: timedelta) -> int:
    """The index of the fixed UTC slot `now` falls in (slots start at the epoch)."""
    return int(now.timestamp() // every.total_seconds())


class StatusReportSender:
    def __init__(
        self, base_url: str, token: str, channels: list[Channel], every: timedelta, now: datetime
    ) -> None:
        self.url = base_url.rstrip("/") + "/api/v1/report"
        self._token = token
        self.channels = channels
        self.every = every
        self.last_slot = slot(now, every)
        self.sent = 0

    @classmethod
    def configured(
        cls, settings: AlertsSettings, channels: Channels, now: datetime
    ) -> StatusReportSender | None:
        """A sender when a gateway URL, a token and `report` channels are all configured."""
        targets = channels.for_route("report")
        if not (settings.report_url and settings.report_token and targets):
            return None
        every = timedelta(seconds=settings.report_every_seconds)
        return cls(settings.report_url, settings.report_token.get_secret_value(), targets,
                   every, now)

    async def check(self, now: datetime) -> bool:
        """Send once when a new slot has begun; True when a report went out to every channel.
        (One process's view; the service itself runs `send` on a shared schedule.)"""
        current = slot(now, self.every)
        if current == self.last_slot:
            return False
        try:
            await self.send()
        except ReportNotSent:
            return False
        self.last_slot = current
        return True

    async def send(self) -> None:
        """Fetch the page and send it to every `report` channel; raise ReportNotSent if not."""
        body = await self._fetch()
        if body is None:
            raise ReportNotSent(f"no report page from {self.url}")
        if not await self._send(body):
            raise ReportNotSent("a report channel did not take the report")
        self.sent += 1

    async def _fetch(self) -> str | None:
        params = {"since": f"{int(self.every.total_seconds())}s", "format": "markdown"}
        headers = {"Authorization": f"Bearer {self._token}"}
        timeout = aiohttp.ClientTimeout(total=30)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as http, http.get(
                self.url, params=params, headers=headers
            ) as resp:
                return await resp.text() if resp.status == 200 else None
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def _send(self, body: str) -> bool:
        ok = True
        for channel in self.channels:
            plugin: Any = apprise.Apprise.instantiate(channel.url, suppress_exceptions=True)
            if not plugin or not await plugin.async_notify(
                body=body, title=TITLE, notify_type=apprise.NotifyType.INFO
            ):
                ok = False
        return ok
