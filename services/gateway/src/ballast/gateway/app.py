"""The gateway's application service: its ports in the constructor, one method per use case.

Fetch (the bus's latest values, the services' tables), decide (domain/), act (publish a control
command, store a report). The HTTP layer (api/) and the bus subscribers (handlers.py) only call
these methods.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from ballast.common.messages import (
    ControlCommand,
    LiquidityState,
    PerformanceReport,
    RiskReport,
    utcnow,
)
from ballast.common.operators import signature_problem
from ballast.common.subjects import control
from ballast.gateway.domain.access import Principal, TokenTable
from ballast.gateway.domain.control import (
    ControlRequest,
    DuplicateCommand,
    SignatureRefused,
    build_command,
)
from ballast.gateway.domain.queue import QueuedRequest, queue_positions
from ballast.gateway.domain.ratelimit import RateLimiter
from ballast.gateway.domain.report import StatusReport, render
from ballast.gateway.domain.series import SeriesRef, Window, parse_duration, parse_series, window
from ballast.gateway.hub import BusTap
from ballast.gateway.metrics import GatewayMetrics

SNAPSHOT_SUBJECTS: dict[str, str] = {
    "treasury": "treasury.state", "health": "health.score", "risk": "risk.report",
    "liquidity": "liquidity.state", "performance": "performance.report", "etf": "etf.metrics",
}
"""Snapshot parts taken from the bus as published; validators come from Postgres (one row per
validator: `validators.status` is one subject, so its last message is one validator's)."""
INTERVENTION_KINDS = ("intervention",)
AUTOMATION_KINDS = ("accumulate", "rebalance", "compound")


class ReadPort(Protocol):
    async def history(self, ref: SeriesRef, w: Window) -> list[dict[str, Any]]: ...
    async def interventions(self, kinds: tuple[str, ...], limit: int) -> list[dict[str, Any]]: ...
    async def alerts(self, firing_only: bool, limit: int) -> list[dict[str, Any]]: ...
    async def validators(self) -> list[dict[str, Any]]: ...
    async def withdrawal_queue(self) -> tuple[list[QueuedRequest], list[int]]: ...


class ReportPort(Protocol):
    async def status_report(self, since: datetime, now: datetime) -> StatusReport: ...


class RecordsPort(Protocol):
    async def store_report(self, kind: str, computed_at: datetime, report: Any) -> bool: ...
    async def reports(self, kind: str, since: datetime, limit: int) -> list[dict[str, Any]]: ...
    async def command_issued(self, cmd: ControlCommand) -> bool: ...
    async def command_answered(
        self, command_id: str, stream: str | None, seq: int | None, error: str | None
    ) -> None: ...
    async def commands(self, limit: int) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class PubAck:
    stream: str
    seq: int


class ControlPublisher(Protocol):
    async def publish(self, cmd: ControlCommand, subject: str) -> PubAck: ...


class GatewayApp:
    def __init__(
        self,
        *,
        tap: BusTap,
        read: ReadPort,
        records: RecordsPort,
        publisher: ControlPublisher,
        reports: ReportPort,
        tokens: TokenTable,
        metrics: GatewayMetrics,
        limiter: RateLimiter,
        history_max_points: int = 2000,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tap, self.read, self.records, self.publisher = tap, read, records, publisher
        self.report_source = reports
        self.tokens, self.metrics, self.limiter = tokens, metrics, limiter
        self.history_max_points = history_max_points
        self.clock, self.monotonic = clock, monotonic

    # ------------------------------------------------------------------ access
    def authenticate(self, token: str | None) -> Principal | None:
        return self.tokens.authenticate(token)

    def allow_control(self, principal: Principal) -> bool:
        return self.limiter.allow(principal.name, self.monotonic())

    # ------------------------------------------------------------------ reads
    async def snapshot(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"generated_at": self.clock().isoformat()}
        for key, subject in SNAPSHOT_SUBJECTS.items():
            last = await self.tap.last_values(subject)
            doc[key] = json.loads(last[-1][1]) if last else None
        prices = await self.tap.last_values("prices.consensus.*")
        doc["prices"] = {s.rsplit(".", 1)[-1]: json.loads(d) for s, d in prices}
        doc["validators"] = await self.read.validators()
        return doc

    async def history(
        self, series: str, start: datetime | None, end: datetime | None, step: str | None
    ) -> dict[str, Any]:
        ref = parse_series(series)
        w = window(start, end, step, self.clock(), self.history_max_points)
        points = await self.read.history(ref, w)
        return {"series": series, "from": w.start.isoformat(), "to": w.end.isoformat(),
                "step_seconds": int(w.step.total_seconds()), "points": points}

    async def interventions(self, limit: int) -> list[dict[str, Any]]:
        return await self.read.interventions(INTERVENTION_KINDS, limit)

    async def automation(self, limit: int) -> list[dict[str, Any]]:
        return await self.read.interventions(AUTOMATION_KINDS, limit)

    async def alerts(self, firing_only: bool, limit: int) -> list[dict[str, Any]]:
        return await self.read.alerts(firing_only, limit)

    async def etf_queue(self) -> list[dict[str, Any]]:
        queued, claimed = await self.read.withdrawal_queue()
        return [
            {"request_id": str(e.request.request_id), "owner": e.request.owner,
             "asset": e.request.asset, "amount_raw": str(e.request.amount_raw),
             "shares_raw": str(e.request.shares_raw), "ready_at": e.request.ready_at.isoformat(),
             "position": e.position, "expected_wait_seconds": e.expected_wait_seconds}
            for e in queue_positions(queued, claimed, self.clock())
        ]

    async def reports(self, kind: str, since: timedelta, limit: int) -> list[dict[str, Any]]:
        return await self.records.reports(kind, self.clock() - since, limit)

    async def report(self, since: str, fmt: str) -> str:
        now = self.clock()
        report = await self.report_source.status_report(now - parse_duration(since), now)
        return render(report, fmt)

    async def commands(self, limit: int) -> list[dict[str, Any]]:
        return await self.records.commands(limit)

    # ------------------------------------------------------------------ acts
    async def control(
        self, principal: Principal, verb: str, request: ControlRequest
    ) -> dict[str, Any]:
        """Record, publish, record the answer: a command that failed to publish is still on
        record with its error, and the caller gets the error. A signed command is checked first
        (ballast.common.operators) and published as signed; a command_id is published once."""
        now = self.clock()
        cmd = build_command(verb, request, principal.name, now)
        if (problem := signature_problem(cmd, now)) is not None:
            raise SignatureRefused(problem)
        if not await self.records.command_issued(cmd):
            raise DuplicateCommand(f"command {cmd.command_id} was already sent")
        try:
            ack = await self.publisher.publish(cmd, control(cmd.command.value))
        except Exception as err:
            await self.records.command_answered(cmd.command_id, None, None, repr(err))
            raise
        await self.records.command_answered(cmd.command_id, ack.stream, ack.seq, None)
        self.metrics.control.labels(cmd.command.value).inc()
        return {"command": cmd.model_dump(mode="json"), "stream": ack.stream, "seq": ack.seq}

    async def on_risk(self, report: RiskReport) -> None:
        if await self.records.store_report("risk", report.computed_at, report):
            self.metrics.reports.labels("risk").inc()
        self.metrics.risk(report)

    async def on_performance(self, report: PerformanceReport) -> None:
        if await self.records.store_report("performance", report.computed_at, report):
            self.metrics.reports.labels("performance").inc()
        self.metrics.performance(report)

    async def on_liquidity(self, state: LiquidityState) -> None:
        if await self.records.store_report("liquidity", state.computed_at, state):
            self.metrics.reports.labels("liquidity").inc()
        self.metrics.liquidity(state)
