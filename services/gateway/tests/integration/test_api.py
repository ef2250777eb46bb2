"""Read API, control and stored reports over real NATS and Postgres."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import aiohttp

from ballast.common import messages as m
from ballast.common.messages import ControlCommand


def risk(var: str, at_minutes: int = 0) -> m.RiskReport:
    from datetime import UTC, datetime  # noqa: PLC0415

    return m.RiskReport(
        computed_at=datetime(2026, 11, 22, 12, at_minutes, tzinfo=UTC),
        portfolio_value_usd=Decimal("1000000"), var_historical_usd=Decimal(var),
        var_parametric_usd=Decimal("41000"), expected_shortfall_usd=Decimal("52000"),
        daily_volatility=Decimal("0.02"), pump_concentration=Decimal("0.35"),
        market_risk_level=m.MarketRiskLevel.MEDIUM, sample_size=30,
    )


async def test_control__viewer_token__403_and_nothing_published(harness: Any) -> None:
    seen: list[bytes] = []
    async def on(msg: Any) -> None:
        seen.append(msg.data)

    sub = await harness.nc.subscribe(harness.ns.subject("control.*"), cb=on)
    async with aiohttp.ClientSession() as http:
        for verb in ("pause", "resume", "approve", "silence", "ack"):
            async with http.post(
                f"{harness.base}/api/v1/control/{verb}", headers=harness.viewer, json={}
            ) as resp:
                assert resp.status == 403, verb
        async with http.post(f"{harness.base}/api/v1/control/pause") as resp:
            assert resp.status == 401
    await sub.unsubscribe()
    assert seen == []
    db = harness.gateway.service.db
    rows = await db.fetchval("SELECT count(*) FROM gateway_control_commands")
    assert rows == 0


async def test_control__operator_pause__on_the_bus_with_identity_and_recorded(
    harness: Any,
) -> None:
    seen: list[ControlCommand] = []

    async def on(msg: Any) -> None:
        seen.append(ControlCommand.model_validate_json(msg.data))

    await harness.nc.subscribe(harness.ns.subject("control.pause"), cb=on)
    async with aiohttp.ClientSession() as http, http.post(
        f"{harness.base}/api/v1/control/pause", headers=harness.operator,
        json={"target": "intervention", "reason": "drill"},
    ) as resp:
        assert resp.status == 200
        body = await resp.json()
    await harness.eventually(lambda: len(seen) == 1)
    assert seen[0].issued_by == "olga"
    assert seen[0].command.value == "pause" and seen[0].target == "intervention"
    row = await harness.gateway.service.db.fetchrow(
        "SELECT * FROM gateway_control_commands WHERE command_id = $1", seen[0].command_id
    )
    assert (row["issued_by"], row["verb"], row["published"]) == ("olga", "pause", True)
    assert row["stream_seq"] == body["seq"] and row["stream"].endswith("CONTROL")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{harness.base}/api/v1/control", headers=harness.operator) as resp:
            (logged,) = await resp.json()
        async with http.get(f"{harness.base}/api/v1/control", headers=harness.viewer) as resp:
            assert resp.status == 403
    assert (logged["command_id"], logged["issued_by"]) == (seen[0].command_id, "olga")
    assert logged["intervention_accepted"] is None  # no intervention service in this database
    db = harness.gateway.service.db
    await db.execute(
        "CREATE TABLE intervention_commands (command_id text PRIMARY KEY, command text, "
        "issued_by text, accepted boolean, detail text)"
    )
    await db.execute(
        "INSERT INTO intervention_commands VALUES ($1, 'pause', 'olga', true, 'paused')",
        seen[0].command_id,
    )
    async with aiohttp.ClientSession() as http, http.get(
        f"{harness.base}/api/v1/control", headers=harness.operator
    ) as resp:
        (answered,) = await resp.json()
    assert (answered["intervention_accepted"], answered["intervention_detail"]) == (True, "paused")


async def test_control__operator_ack__alert_key_on_the_bus_and_recorded(harness: Any) -> None:
    seen: list[ControlCommand] = []

    async def on(msg: Any) -> None:
        seen.append(ControlCommand.model_validate_json(msg.data))

    await harness.nc.subscribe(harness.ns.subject("control.ack"), cb=on)
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{harness.base}/api/v1/control/ack", headers=harness.operator, json={}
        ) as resp:
            assert resp.status == 400
            assert "target" in (await resp.json())["detail"]
        async with http.post(
            f"{harness.base}/api/v1/control/ack", headers=harness.operator,
            json={"target": "oracle_stale|PSTR", "reason": "looking"},
        ) as resp:
            assert resp.status == 200
    await harness.eventually(lambda: len(seen) == 1)
    assert (seen[0].command.value, seen[0].target, seen[0].issued_by) == (
        "ack", "oracle_stale|PSTR", "olga"
    )
    row = await harness.gateway.service.db.fetchrow(
        "SELECT verb, published FROM gateway_control_commands WHERE command_id = $1",
        seen[0].command_id,
    )
    assert (row["verb"], row["published"]) == ("ack", True)


async def test_control__bad_requests__400_and_rate_limited_429(gateway_factory: Any) -> None:
    h = await gateway_factory(control_burst=2, control_rate_per_minute=1)
    try:
        async with aiohttp.ClientSession() as http:
            url = f"{h.base}/api/v1/control"
            async with http.post(f"{url}/approve", headers=h.operator, json={}) as resp:
                assert resp.status == 400
                assert "decision_id" in (await resp.json())["detail"]
            async with http.post(f"{url}/explode", headers=h.operator) as resp:
                assert resp.status == 422
            async with http.post(f"{url}/resume", headers=h.operator) as resp:
                assert resp.status == 200
            async with http.post(
                f"{url}/silence", headers=h.operator, json={"matchers": {"rule": "x"}}
            ) as resp:
                assert resp.status == 429  # the two above used the burst
                assert int(resp.headers["Retry-After"]) >= 1
    finally:
        await h.nc.drain()
        await h.gateway.stop()


async def test_reports__risk_on_the_bus__stored_once_metrics_and_var_history(
    harness: Any,
) -> None:
    for minutes, var in ((0, "40000"), (1, "45000"), (30, "50000")):
        await harness.publish("risk.report", risk(var, minutes))
    await harness.publish("risk.report", risk("50000", 30))  # redelivered: stored once
    db = harness.gateway.service.db
    await harness.eventually(lambda: _count_is(harness, 3), within=10.0)
    await _await_count(db, 3)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{harness.ops}/metrics") as resp:
            metrics = await resp.text()
        params = {"from": "2026-11-22T12:00:00Z", "to": "2026-11-22T13:00:00Z", "step": "15m"}
        async with http.get(
            f"{harness.base}/api/v1/history/var", params=params, headers=harness.viewer
        ) as resp:
            history = await resp.json()
        async with http.get(
            f"{harness.base}/api/v1/history/nonsense", headers=harness.viewer
        ) as resp:
            assert resp.status == 400
    assert 'ballast_risk_var_usd{method="historical"} 50000.0' in metrics
    assert "ballast_risk_pump_concentration 0.35" in metrics
    assert [(p["t"][11:16], p["value"]) for p in history["points"]] == [
        ("12:00", "45000"), ("12:30", "50000")
    ]


def _count_is(harness: Any, n: int) -> bool:
    return harness.gateway.metrics.reports.labels("risk")._value.get() >= n


async def _await_count(db: Any, n: int) -> None:
    assert await db.fetchval("SELECT count(*) FROM gateway_reports WHERE kind='risk'") == n


async def test_snapshot_and_lists__latest_bus_values_and_empty_tables(harness: Any) -> None:
    await harness.publish("risk.report", risk("40000"))
    await harness.publish("prices.consensus.PSTR", harness.consensus("PSTR", 4))
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{harness.base}/api/v1/snapshot", headers=harness.viewer) as resp:
            snap = await resp.json()
        for path in ("interventions", "automation", "alerts", "etf/queue"):
            async with http.get(f"{harness.base}/api/v1/{path}", headers=harness.viewer) as r:
                assert r.status == 200, path
                assert await r.json() == [], path
        async with http.get(f"{harness.base}/api/v1/snapshot") as resp:
            assert resp.status == 401
    assert snap["risk"] == json.loads(risk("40000").model_dump_json())
    assert snap["prices"]["PSTR"]["sequence"] == 4
    assert snap["treasury"] is None


async def test_history__window_too_fine__400_with_reason(harness: Any) -> None:
    params = {"from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z", "step": "1s"}
    async with aiohttp.ClientSession() as http, http.get(
        f"{harness.base}/api/v1/history/price.PSTR", params=params, headers=harness.viewer
    ) as resp:
        assert resp.status == 400
        assert "step too small" in (await resp.json())["detail"]
    assert timedelta(days=1)


async def test_cors__configured_origin__preflight_allowed_other_origin_not(
    gateway_factory: Any,
) -> None:
    h = await gateway_factory(cors_origins=["https://console.example"])
    try:
        url = f"{h.base}/api/v1/control/pause"
        ask = {"Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization,content-type"}
        async with aiohttp.ClientSession() as http:
            async with http.options(
                url, headers={"Origin": "https://console.example", **ask}
            ) as resp:
                assert resp.status == 200
                assert resp.headers["Access-Control-Allow-Origin"] == "https://console.example"
            async with http.options(url, headers={"Origin": "https://evil.example", **ask}) as r:
                assert "Access-Control-Allow-Origin" not in r.headers
    finally:
        await h.nc.drain()
        await h.gateway.stop()
