"""`ballast report` over a real Postgres: the stored reports and the other services' tables."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ballast.cli.report import build
from ballast.common import messages as m
from ballast.testing.pg import connected


async def test_report__stored_risk_and_missing_services__every_format_one_page(
    harness: Any, database_url: str
) -> None:
    await harness.publish("risk.report", m.RiskReport(
        computed_at=datetime.now(UTC), portfolio_value_usd=Decimal("1000000"),
        var_historical_usd=Decimal("43210.5"), var_parametric_usd=None,
        expected_shortfall_usd=Decimal("50000"), daily_volatility=None,
        pump_concentration=Decimal("0.4"), market_risk_level=m.MarketRiskLevel.HIGH,
        sample_size=30,
    ))
    async with connected(database_url) as conn:
        await harness.eventually(lambda: harness.gateway.metrics.reports.labels("risk")
                                 ._value.get() == 1)
        await conn.execute(
            "CREATE TABLE alerts_history (severity text, state text, reason text, "
            "notified_at timestamptz)"
        )
        await conn.execute(
            "INSERT INTO alerts_history VALUES ('critical', 'firing', 'firing', now()), "
            "('critical', 'resolved', 'resolved', now()), ('warning', 'firing', 'repeat', now())"
        )
    text = await build(database_url, "24h", "text")
    assert "VaR 95% 1-day, historical (USD)  43210.5" in text
    assert "market risk level                high" in text
    assert "critical firing    1" in text and "critical resolved  1" in text
    assert "no oracle records here" in text and "no treasury records here" in text
    markdown = await build(database_url, "6h", "markdown")
    assert markdown.startswith("# Ballast status report")
    assert "| VaR 95% 1-day, historical (USD) | 43210.5 |" in markdown
    page = await build(database_url, "24h", "html")
    assert page.startswith("<!doctype html>") and "<td>43210.5</td>" in page


async def test_report_route__viewer__markdown_page_and_bad_since_400(harness: Any) -> None:
    import aiohttp  # noqa: PLC0415

    async with aiohttp.ClientSession() as http:
        url = f"{harness.base}/api/v1/report"
        async with http.get(url, params={"since": "6h"}, headers=harness.viewer) as resp:
            assert resp.status == 200
            assert resp.headers["content-type"].startswith("text/markdown")
            assert (await resp.text()).startswith("# Ballast status report")
        async with http.get(url, params={"since": "soon"}, headers=harness.viewer) as resp:
            assert resp.status == 400
        async with http.get(url) as resp:
            assert resp.status == 401
