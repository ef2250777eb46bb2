"""The status report on its schedule: a real gateway renders it, a webhook channel receives it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ballast.alerts.adapters.channels import Channels
from ballast.alerts.adapters.status_report import StatusReportSender
from ballast.alerts.settings import AlertsSettings
from ballast.gateway.domain.access import Role, TokenEntry, TokenTable, hash_token
from ballast.gateway.main import build_app
from ballast.gateway.settings import GatewaySettings

TOKEN = "alerts-viewer-token"


async def test_status_report__slot_boundaries__one_report_per_slot_never_at_start(
    database_url: str, nats_server: Any, bus_namespace: str, webhook: Any
) -> None:
    gateway = build_app(
        GatewaySettings(database_url=database_url, nats_url=nats_server.url,  # type: ignore[arg-type]
                        bus_prefix=bus_namespace, http_host="127.0.0.1", http_port=0,
                        api_host="127.0.0.1", api_port=0),
        tokens=TokenTable([TokenEntry("alerts", Role.VIEWER,
                                      hash_token(TOKEN).removeprefix("sha256:"))]),
    )
    await gateway.start()
    try:
        settings = AlertsSettings(
            database_url=database_url,  # type: ignore[arg-type]
            report_url=f"http://127.0.0.1:{gateway.api_port}", report_token=TOKEN,  # type: ignore[arg-type]
            channels={"report": [webhook.url]},
        )
        start = datetime(2026, 12, 5, 5, 59, tzinfo=UTC)
        sender = StatusReportSender.configured(settings, Channels(settings.channels), start)
        assert sender is not None
        assert not await sender.check(start + timedelta(seconds=30))  # same slot: nothing
        assert webhook.requests == []
        assert await sender.check(start + timedelta(minutes=2))  # 06:01: the 06:00 report
        assert not await sender.check(start + timedelta(hours=3))  # still the 06:00 slot
        (request,) = webhook.requests
        assert request["body"]["title"] == "Ballast status report"
        assert request["body"]["message"].startswith("# Ballast status report")
        assert "## Alerts" in request["body"]["message"]
    finally:
        await gateway.stop()


def test_status_report__not_configured__no_sender() -> None:
    settings = AlertsSettings(database_url="postgresql://x@127.0.0.1/x")  # type: ignore[arg-type]
    now = datetime(2026, 12, 5, tzinfo=UTC)
    assert StatusReportSender.configured(settings, Channels({}), now) is None
