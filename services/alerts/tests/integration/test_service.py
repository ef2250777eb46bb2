"""The whole service over real NATS and Postgres: facts in, alerts out on every path."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import aiohttp
import nats
import pytest
from nats.js import JetStreamContext

from ballast.alerts.adapters.rules_file import load_rules
from ballast.alerts.main import AlertsApp, build_app
from ballast.alerts.settings import AlertsSettings
from ballast.common.messages import Alert, ControlCommand, ControlVerb, Message, utcnow
from ballast.common.subjects import Namespace
from ballast.testing.waiting import eventually


class Harness:
    def __init__(self, app: AlertsApp, nc: nats.NATS, ns: Namespace, webhook: Any) -> None:
        self.app, self.nc, self.ns, self.webhook = app, nc, ns, webhook
        self.js: JetStreamContext = nc.jetstream()
        self.bus_alerts: list[Alert] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.app.service.ops.bound_port}"

    async def publish(self, fact: tuple[str, Message], msg_id: str | None = None) -> None:
        subject, payload = fact
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        await self.js.publish(
            self.ns.subject(subject), payload.model_dump_json().encode(), headers=headers
        )

    def received(self, rule: str) -> list[dict[str, Any]]:
        return [r for r in self.webhook.requests if rule in r["body"]["message"]]


async def start_app(settings: AlertsSettings) -> AlertsApp:
    app = build_app(settings)
    await app.start()
    return app


def settings_for(
    database_url: str, nats_url: str, namespace: str, webhook: Any, **extra: Any
) -> AlertsSettings:
    values: dict[str, Any] = dict(
        database_url=database_url,
        nats_url=nats_url,
        bus_prefix=namespace,
        http_host="127.0.0.1",
        http_port=0,
        grouping=False,
        tick_seconds=0.1,
        heartbeat_interval_seconds=1.0,
        delivery_backoff_base_seconds=0.1,
        delivery_backoff_max_seconds=0.5,
        fact_batch_size=1,
        channels={
            "critical": [webhook.url],
            "warning": [webhook.url],
            "info": [webhook.url],
            "governance": [webhook.url],
            "watchdog": [webhook.url],
        },
    )
    return AlertsSettings(**(values | extra))


@pytest.fixture
async def harness(
    database_url: str, nats_server: Any, bus_namespace: str, webhook: Any
) -> AsyncIterator[Harness]:
    settings = settings_for(database_url, nats_server.url, bus_namespace, webhook)
    app = await start_app(settings)
    nc = await nats.connect(nats_server.url)
    h = Harness(app, nc, Namespace(bus_namespace), webhook)

    async def on_alert(msg: Any) -> None:
        h.bus_alerts.append(Alert.model_validate_json(msg.data))

    await nc.subscribe(h.ns.subject("alerts.*"), cb=on_alert)
    yield h
    await nc.drain()
    await app.stop()


async def test_service__breaching_fact__alert_on_bus_webhook_and_api(
    harness: Harness, facts: Any
) -> None:
    await harness.publish(facts.validator(jailed=True))
    await eventually(lambda: harness.received("validator_jailed"))
    await eventually(lambda: any(a.rule == "validator_jailed" for a in harness.bus_alerts))
    async with aiohttp.ClientSession() as http, http.get(f"{harness.base}/alerts") as resp:
        body = await resp.json()
    listed = [a for a in body["alerts"] if a["rule"] != "watchdog"]
    assert [(a["rule"], a["state"]) for a in listed] == [("validator_jailed", "firing")]
    count = await harness.app.service.db.fetchval(
        "SELECT count(*) FROM alerts_history WHERE rule = 'validator_jailed'"
    )
    assert count == 1
    async with aiohttp.ClientSession() as http, http.get(f"{harness.base}/metrics") as resp:
        metrics = await resp.text()
    told = 'ballast_alerts_notifications_total{reason="firing",severity="critical",state="firing"}'
    assert f"{told} 1.0" in metrics
    assert f"ballast_alerts_rules {len(load_rules().rules)}.0" in metrics  # the shipped rules


async def test_service__same_fact_replayed_100_times__one_alert_one_notification(
    harness: Harness, facts: Any
) -> None:
    fact = facts.treasury(rr="1.8")
    for _ in range(100):
        await harness.publish(fact)  # no msg id: JetStream keeps all 100
    await eventually(lambda: harness.received("reserve_ratio_low"))
    processed = harness.app.core.metrics.facts.labels("treasury")
    await eventually(lambda: processed._value.get() >= 100)  # noqa: SLF001
    await asyncio.sleep(0.5)
    assert len(harness.received("reserve_ratio_low")) == 1
    assert [a.rule for a in harness.bus_alerts if a.rule.startswith("reserve")] == [
        "reserve_ratio_low"
    ]
    active = harness.app.core.active()
    assert [r.key for r in active if r.rule != "watchdog"] == ["reserve_ratio_low"]


async def test_service__ack_over_http__acknowledged_and_streamed_live(
    harness: Harness, facts: Any
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{harness.base}/alerts/stream") as stream:
            events = stream.content

            async def next_event() -> tuple[str, dict[str, Any]]:
                name, data = "", ""
                while True:
                    line = (await events.readline()).decode().rstrip("\n")
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        data = line[6:]
                    elif line == "" and name:
                        return name, json.loads(data)

            async def next_alert_of(rule: str) -> tuple[str, dict[str, Any]]:
                while True:
                    name, data = await next_event()
                    alert = data.get("alert", data)
                    if alert.get("rule") == rule or data.get("rule") == rule:
                        return name, data

            name, _ = await asyncio.wait_for(next_event(), 5)
            assert name == "snapshot"
            await harness.publish(facts.consensus("HALTED"))
            name, data = await asyncio.wait_for(next_alert_of("consensus_halted"), 10)
            assert name == "alert" and data["alert"]["state"] == "firing"
            key = data["alert"]["key"]
            async with http.post(
                f"{harness.base}/alerts/{quote(key, safe='')}/ack", json={"by": "alice"}
            ) as resp:
                assert resp.status == 200
                assert (await resp.json())["acknowledged"] is True
            name, data = await asyncio.wait_for(next_alert_of("consensus_halted"), 10)
            assert (name, data["acknowledged_by"]) == ("ack", "alice")
        async with http.post(f"{harness.base}/alerts/nope/ack", json={}) as resp:
            assert resp.status == 404
    record = harness.app.core.engine.lifecycle.records[key]
    assert record.acknowledged and record.acknowledged_by == "alice"


async def test_service__control_silence__alert_kept_but_not_notified(
    harness: Harness, facts: Any
) -> None:
    now = utcnow()
    command = ControlCommand(
        command_id="silence-1",
        command=ControlVerb.SILENCE,
        issued_by="bob",
        issued_at=now,
        matchers={"rule": "validator_jailed"},
        expires_at=now + timedelta(minutes=10),
        reason="maintenance",
    )
    await harness.publish(("control.silence", command))
    await eventually(lambda: "silence-1" in harness.app.core.engine.lifecycle.silences)
    await harness.publish(facts.validator(jailed=True))
    await harness.publish(facts.health("poor", "0.7"))  # a marker that is not silenced
    await eventually(lambda: harness.received("health_poor"))
    assert harness.received("validator_jailed") == []
    assert any(r.rule == "validator_jailed" for r in harness.app.core.active())
    async with aiohttp.ClientSession() as http, http.get(f"{harness.base}/silences") as resp:
        silences = (await resp.json())["silences"]
    assert [s["id"] for s in silences] == ["silence-1"]


async def test_service__own_heartbeat__watchdog_reaches_the_channel(harness: Harness) -> None:
    await eventually(lambda: harness.received("watchdog"), within=10)
    assert harness.webhook.requests[0]["ids"]


async def test_service__restart_then_replay__no_second_notification(
    database_url: str, nats_server: Any, bus_namespace: str, webhook: Any, facts: Any
) -> None:
    settings = settings_for(database_url, nats_server.url, bus_namespace, webhook)
    nc = await nats.connect(nats_server.url)
    ns = Namespace(bus_namespace)
    js = nc.jetstream()
    subject, fact = facts.validator(jailed=True)
    try:
        app = await start_app(settings)
        try:
            await js.publish(ns.subject(subject), fact.model_dump_json().encode())
            await eventually(lambda: any("validator_jailed" in r["body"]["message"]
                                         for r in webhook.requests))
        finally:
            await app.stop()
        app = await start_app(settings)
        try:
            assert any(r.rule == "validator_jailed" for r in app.core.active())
            await js.publish(ns.subject(subject), fact.model_dump_json().encode())
            processed = app.core.metrics.facts.labels("validators")
            await eventually(lambda: processed._value.get() >= 1)  # noqa: SLF001
            await asyncio.sleep(0.5)
        finally:
            await app.stop()
    finally:
        await nc.drain()
    jailed = [r for r in webhook.requests if "validator_jailed" in r["body"]["message"]]
    assert len(jailed) == 1


async def test_service__expected_service_silent__heartbeat_missing_paged(
    database_url: str, nats_server: Any, bus_namespace: str, webhook: Any
) -> None:
    settings = settings_for(
        database_url, nats_server.url, bus_namespace, webhook,
        expected_services=["ghost"], expected_grace_seconds=0.5,
    )  # fmt: skip
    app = await start_app(settings)
    try:
        await eventually(
            lambda: any("heartbeat_missing" in r["body"]["message"] and "service=ghost"
                        in r["body"]["message"] for r in webhook.requests)
        )  # fmt: skip
    finally:
        await app.stop()


async def test_service__silence_over_http__held_back_and_listed(
    harness: Harness, facts: Any
) -> None:
    operator = "0x" + "12" * 20
    async with aiohttp.ClientSession() as http:
        body = {"matchers": {"operator": operator}, "duration_seconds": 600, "by": "carol"}
        async with http.post(f"{harness.base}/silences", json=body) as resp:
            assert resp.status == 201
            silence = await resp.json()
        async with http.post(f"{harness.base}/silences", json={"matchers": {}}) as resp:
            assert resp.status == 400
        await harness.publish(facts.validator(jailed=True, operator=operator))
        await harness.publish(facts.validator(jailed=True))
        await eventually(lambda: harness.received("0x" + "ab" * 20))
        assert harness.received(operator) == []
        async with http.get(f"{harness.base}/alerts/history?limit=10") as resp:
            history = (await resp.json())["notifications"]
        async with http.get(f"{harness.base}/alerts?all=1") as resp:
            every = (await resp.json())["alerts"]
        async with http.delete(f"{harness.base}/silences/{silence['id']}") as resp:
            assert resp.status == 200
        # lifted: the held notification goes out on the next tick
        await eventually(lambda: harness.received(operator))
        async with http.delete(f"{harness.base}/silences/{silence['id']}") as resp:
            assert resp.status == 404
    assert silence["created_by"] == "carol"
    told = [h["alert"]["labels"].get("operator") for h in history]
    assert "0x" + "ab" * 20 in told and operator not in told
    jailed = {a["labels"]["operator"] for a in every if a["rule"] == "validator_jailed"}
    assert jailed == {operator, "0x" + "ab" * 20}


async def test_service__burst_to_a_slow_channel__batched_into_digests_each_once(
    harness: Harness, facts: Any
) -> None:
    harness.webhook.delay = 0.2  # each POST takes 200 ms: the burst must not wait in line
    operators = ["0x" + f"{0xb0000 + i:040x}" for i in range(40)]
    for operator in operators:
        await harness.publish(facts.validator(jailed=True, operator=operator))

    def told() -> list[str]:
        return [o for o in operators for r in harness.webhook.requests if o in r["body"]["message"]]

    await eventually(lambda: set(told()) == set(operators), within=20)
    assert sorted(told()) == sorted(operators)  # each exactly once
    burst = [
        r for r in harness.webhook.requests if any(o in r["body"]["message"] for o in operators)
    ]
    assert len(burst) <= len(operators) // 4, len(burst)


async def test_service__rules_file_changed__new_threshold_applies_without_restart(
    database_url: str, nats_server: Any, bus_namespace: str, webhook: Any, facts: Any,
    tmp_path: Any,
) -> None:
    rule = (
        "rules:\n- {name: rr_low, subject: treasury.state, severity: warning, field: reserve_ratio,"
        " op: lt, threshold: %s, summary: 'rr {value}'}\n"
    )
    path = tmp_path / "rules.yaml"
    path.write_text(rule % "2.0")
    settings = settings_for(
        database_url, nats_server.url, bus_namespace, webhook,
        rules_path=path, rules_poll_seconds=0.1,
    )  # fmt: skip
    app = await start_app(settings)
    nc = await nats.connect(nats_server.url)
    h = Harness(app, nc, Namespace(bus_namespace), webhook)
    try:
        await h.publish(facts.treasury(rr="1.9"))
        await eventually(lambda: h.received("rr_low"))
        path.write_text(rule % "1.5")
        os.utime(path, (1, 1))
        await eventually(lambda: app.core.engine.config.rules[0].threshold == Decimal("1.5"))
        await h.publish(facts.treasury(rr="1.9"))
        await eventually(
            lambda: any("RESOLVED" in r["body"]["title"] for r in h.received("rr_low"))
        )
    finally:
        await nc.drain()
        await app.stop()


async def test_service__grouping_window__alerts_of_a_group_leave_as_one_digest(
    database_url: str, nats_server: Any, bus_namespace: str, webhook: Any, facts: Any,
    tmp_path: Any,
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "defaults: {group_wait: 0.5s, group_interval: 2s}\n"
        "rules:\n- {name: jailed, subject: validators.status, severity: critical,"
        " field: is_jailed, op: eq, threshold: true, labels: {operator: operator_address},"
        " summary: 'jailed {operator}'}\n"
    )
    settings = settings_for(
        database_url, nats_server.url, bus_namespace, webhook, rules_path=path, grouping=True
    )
    app = await start_app(settings)
    nc = await nats.connect(nats_server.url)
    h = Harness(app, nc, Namespace(bus_namespace), webhook)
    operators = ["0x" + f"{0xc0000 + i:040x}" for i in range(3)]
    try:
        for operator in operators:
            await h.publish(facts.validator(jailed=True, operator=operator))
        await eventually(lambda: h.received("jailed"))
        await asyncio.sleep(0.3)
    finally:
        await nc.drain()
        await app.stop()
    sent = h.received("jailed")
    assert len(sent) == 1 and len(sent[0]["ids"]) == 3
    assert all(operator in sent[0]["body"]["message"] for operator in operators)
