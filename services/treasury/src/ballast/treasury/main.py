"""Composition root: `build_app(settings)` wires the treasury's core (app.py) into a Service.

    python -m ballast.treasury        (settings from BALLAST_TREASURY_* environment variables)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from ballast.common.messages import (
    AutomationRequest,
    HealthScore,
    LiquidityState,
    Message,
    PerformanceReport,
    RiskReport,
    TreasuryState,
    utcnow,
)
from ballast.common.outbox import Outbox
from ballast.common.service import Service, ServiceApp
from ballast.common.settings import load_settings
from ballast.common.subjects import (
    HEALTH_SCORE,
    LIQUIDITY_STATE,
    PERFORMANCE_REPORT,
    RISK_REPORT,
    TREASURY_STATE,
    automation_requested,
)
from ballast.treasury.adapters.chain import ChainLayout, Web3ChainReader
from ballast.treasury.adapters.repository import Repository
from ballast.treasury.app import Chain, Clock, Treasury
from ballast.treasury.handlers import subscribe, subscribe_parameters
from ballast.treasury.metrics import TreasuryMetrics
from ballast.treasury.parameters import GovernedParams
from ballast.treasury.settings import TreasurySettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ACCUMULATION_CHECK_SECONDS = 60.0
OUTBOX_RELAY_SECONDS = 2.0
PRICE_WRITE_SECONDS = 1.0
"""Consensus prices that moved no state are written behind, at most this late."""


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


def default_chain(settings: TreasurySettings) -> Chain | None:
    if not (settings.rpc_url and settings.deployment_file):
        return None
    layout = ChainLayout.from_deployment(
        settings.deployment_file, settings.treasury_address,
        symbols=(settings.pstr_symbol, settings.pump_symbol, *settings.usd_quote_symbols, "WCORE"),
        concentrated=settings.liquidity_pools,
    )
    return Web3ChainReader(settings.rpc_url, layout)


class TreasuryApp(ServiceApp):
    """The treasury process: its Service, its record and chain, the core, subscribers, jobs and
    the on-demand risk route."""

    def __init__(
        self,
        settings: TreasurySettings,
        *,
        chain: Chain | None = None,
        registry: CollectorRegistry | None = None,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(
            Service("treasury", settings, migrations_dir=MIGRATIONS, registry=registry)
        )
        service = self.service
        self.core = Treasury(
            settings,
            Repository(service.db, Outbox("treasury_outbox", service.bus)),
            chain if chain is not None else default_chain(settings),
            service.bus,
            TreasuryMetrics(service.registry),
            clock,
        )
        for subject, schema, text in PUBLISHES:
            service.bus.publisher(subject, schema, text)
        subscribe(service.bus, self.core)
        governed = GovernedParams(self.core, settings.rpc_url,
                                  settings.strategy_parameters_address)
        subscribe_parameters(service.bus, governed)
        service.on_start(governed.start)
        service.on_start(self.core.start)
        service.on_stop(self.core.stop)
        self._schedule(settings, clock)
        service.ops.app.router.add_post("/reports/risk", self.risk_on_demand)

    def _schedule(self, settings: TreasurySettings, clock: Clock) -> None:
        """Housekeeping ticks (`every`, each replica) and the seed's schedules (`schedule`: once
        per UTC-aligned period across replicas and restarts, caught up once after downtime).

        The 5-minute state cycle is a tick aligned to the clock: each replica's state (in
        memory, restored at start) must be current, and it is also recomputed on each change.
        The hourly accumulation checks every minute against its own per-hour claim (row and
        outbox request in one transaction; an emergency stop leaves the hour open for later).
        """
        core, every = self.core, self.service.every
        every(settings.chain_interval_seconds, "chain")(core.refresh_chain)
        every(PRICE_WRITE_SECONDS, "prices")(core.save_prices)
        every(settings.state_interval_seconds, "state", aligned=True)(self._state_job)
        every(min(ACCUMULATION_CHECK_SECONDS, settings.accumulation_interval_seconds),
              "accumulate")(self._accumulate_job)
        every(86_400, "prune")(core.prune)
        every(OUTBOX_RELAY_SECONDS, "outbox")(core.relay)
        schedule = self.service.schedule
        schedule(settings.risk_interval_seconds, "risk", clock=clock)(self._risk_job)
        schedule(settings.liquidity_interval_seconds, "liquidity", clock=clock)(
            self._liquidity_job
        )
        schedule(settings.performance_interval_seconds, "performance", clock=clock)(
            self._performance_job
        )

    async def _state_job(self) -> None:
        await self.core.recompute()

    async def _accumulate_job(self) -> None:
        await self.core.accumulate()

    async def _risk_job(self) -> None:
        await self.core.reports.risk_report()

    async def _liquidity_job(self) -> None:
        await self.core.reports.liquidity_report()

    async def _performance_job(self) -> None:
        await self.core.reports.performance_report()

    async def risk_on_demand(self, _: web.Request) -> web.Response:
        """POST /reports/risk: compute and publish a risk.report now, return it."""
        report = await self.core.reports.risk_report()
        return web.Response(text=report.model_dump_json(), content_type="application/json")


def build_app(
    settings: TreasurySettings,
    *,
    chain: Chain | None = None,
    registry: CollectorRegistry | None = None,
    clock: Clock = utcnow,
) -> TreasuryApp:
    return TreasuryApp(settings, chain=chain, registry=registry, clock=clock)


def main() -> None:
    settings = load_settings(TreasurySettings)
    asyncio.run(build_app(settings).run())
