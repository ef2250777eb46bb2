"""Composition root: `build_app(settings)` wires the treasury into a ballast Service.

    python -m ballast.treasury        (settings from BALLAST_TREASURY_* environment variables)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from faststream.nats import DeliverPolicy
from prometheus_client import CollectorRegistry

from ballast.common.messages import (
    AutomationAction,
    AutomationRequest,
    ConsensusPrice,
    HealthScore,
    InterventionDecision,
    InterventionExecuted,
    LiquidityState,
    Message,
    PerformanceReport,
    RiskReport,
    Trade,
    TreasuryState,
    utcnow,
)
from ballast.common.outbox import Outbox
from ballast.common.service import Service
from ballast.common.settings import load_settings
from ballast.common.subjects import (
    AUTOMATION_EXECUTED,
    HEALTH_SCORE,
    INTERVENTION_DECIDED,
    INTERVENTION_EXECUTED,
    LIQUIDITY_STATE,
    PERFORMANCE_REPORT,
    PRICES_CONSENSUS_ALL,
    RISK_REPORT,
    TRADES_ALL,
    TREASURY_STATE,
    automation_requested,
)
from ballast.treasury.adapters.chain import ChainLayout, ChainReader, Web3ChainReader
from ballast.treasury.adapters.repository import Repository
from ballast.treasury.handlers import Clock, Treasury
from ballast.treasury.metrics import TreasuryMetrics
from ballast.treasury.reports import Reports
from ballast.treasury.settings import TreasurySettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ACCUMULATION_CHECK_SECONDS = 60.0
OUTBOX_RELAY_SECONDS = 2.0
PRICE_WRITE_SECONDS = 1.0
"""Consensus prices that moved no state are written behind, at most this late."""
CONSENSUS_IN_FLIGHT = 256
"""Consensus is pushed (up to this many unacknowledged): a pull with batch 1 cost a fetch round
trip per message and fell behind at 1,000 updates/s; a bigger pull batch makes a lone update wait
for company (bench/path.py)."""


PUBLISHES: tuple[tuple[str, type[Message], str], ...] = (
    (TREASURY_STATE, TreasuryState, "on each consensus change (debounced) and every 5 minutes"),
    (HEALTH_SCORE, HealthScore, "with each treasury.state whose inputs are all present"),
    (RISK_REPORT, RiskReport, "every 2 hours and on POST /reports/risk"),
    (LIQUIDITY_STATE, LiquidityState, "daily"),
    (PERFORMANCE_REPORT, PerformanceReport, "every 6 hours"),
    (automation_requested("accumulate"), AutomationRequest,
     "hourly purchase of the daily budget's 24th, none in emergency stop"),
    (automation_requested("liquidity_add"), AutomationRequest,
     "with liquidity.state: a configured pool without a position gets its budget (60/40)"),
    (automation_requested("liquidity_rebalance"), AutomationRequest,
     "with liquidity.state: a position whose pool price is past 15% from its band's centre"),
)
"""What the treasury publishes, declared for the AsyncAPI document."""


class TreasuryService(Service):
    """A Service that also exposes its Treasury (for tests and the on-demand risk route)."""

    treasury: Treasury
    reports: Reports


def default_chain(settings: TreasurySettings) -> ChainReader | None:
    if not (settings.rpc_url and settings.deployment_file):
        return None
    layout = ChainLayout.from_deployment(
        settings.deployment_file, settings.treasury_address,
        symbols=(settings.pstr_symbol, settings.pump_symbol, *settings.usd_quote_symbols, "WCORE"),
    )
    return Web3ChainReader(settings.rpc_url, layout)


def build_app(
    settings: TreasurySettings,
    *,
    chain: ChainReader | None = None,
    registry: CollectorRegistry | None = None,
    clock: Clock = utcnow,
) -> TreasuryService:
    service = TreasuryService(
        "treasury", settings, migrations_dir=MIGRATIONS, registry=registry
    )
    treasury = Treasury(
        settings, service.bus, TreasuryMetrics(service.registry),
        chain if chain is not None else default_chain(settings), clock,
    )
    service.treasury = treasury
    service.reports = reports = Reports(treasury)

    async def start() -> None:
        await treasury.start(Repository(service.db, Outbox("treasury_outbox", service.bus)))

    service.on_start(start)
    service.on_stop(treasury.stop)
    subscribe(service, treasury)
    schedule(service, treasury, reports, settings)

    async def risk_on_demand(_: web.Request) -> web.Response:
        """POST /reports/risk: compute and publish a risk.report now, return it."""
        report = await reports.risk_report()
        return web.Response(text=report.model_dump_json(), content_type="application/json")

    service.ops.app.router.add_post("/reports/risk", risk_on_demand)
    return service


def subscribe(service: Service, treasury: Treasury) -> None:
    bus = service.bus
    for subject, schema, text in PUBLISHES:
        bus.publisher(subject, schema, text)

    @bus.subscriber(
        PRICES_CONSENSUS_ALL, durable="treasury-consensus",
        deliver_policy=DeliverPolicy.LAST_PER_SUBJECT, batch_size=CONSENSUS_IN_FLIGHT,
        push=True,
    )
    async def on_consensus(price: ConsensusPrice) -> None:
        await treasury.on_consensus(price)

    @bus.subscriber(TRADES_ALL, durable="treasury-trades", batch_size=64)
    async def on_trade(trade: Trade) -> None:
        await treasury.on_trade(trade)

    @bus.subscriber(INTERVENTION_DECIDED, durable="treasury-decisions")
    async def on_decision(decision: InterventionDecision) -> None:
        await treasury.on_decision(decision)

    @bus.subscriber(INTERVENTION_EXECUTED, durable="treasury-executions")
    async def on_execution(executed: InterventionExecuted) -> None:
        await treasury.on_execution(executed)

    @bus.subscriber(AUTOMATION_EXECUTED, durable="treasury-automation")
    async def on_automation(action: AutomationAction) -> None:
        await treasury.on_automation(action)


def schedule(
    service: Service, treasury: Treasury, reports: Reports, settings: TreasurySettings
) -> None:
    async def state_job() -> None:
        await treasury.recompute()

    async def accumulate_job() -> None:
        await treasury.accumulate()

    async def risk_job() -> None:
        await reports.risk_report()

    async def liquidity_job() -> None:
        await reports.liquidity_report()

    async def performance_job() -> None:
        await reports.performance_report()

    service.every(settings.chain_interval_seconds, "chain")(treasury.refresh_chain)
    service.every(PRICE_WRITE_SECONDS, "prices")(treasury.save_prices)
    service.every(settings.state_interval_seconds, "state")(state_job)
    service.every(
        min(ACCUMULATION_CHECK_SECONDS, settings.accumulation_interval_seconds), "accumulate"
    )(accumulate_job)
    service.every(settings.risk_interval_seconds, "risk")(risk_job)
    service.every(settings.liquidity_interval_seconds, "liquidity")(liquidity_job)
    service.every(settings.performance_interval_seconds, "performance")(performance_job)
    service.every(86_400, "prune")(treasury.prune)
    service.every(OUTBOX_RELAY_SECONDS, "outbox")(treasury.relay)


def main() -> None:
    settings = load_settings(TreasurySettings)
    asyncio.run(build_app(settings).run())
