"""Composition root: settings -> Service, RPC readers, the core, poll job
(docs/architecture.md). `python -m ballast.contract_monitor` runs it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from ballast.common.messages import (
    EtfEvent,
    EtfMetrics,
    GovernanceProposal,
    StrategyParameterChanged,
)
from ballast.common.service import Service, ServiceApp
from ballast.common.settings import load_settings
from ballast.common.subjects import (
    ETF_EVENTS_ALL,
    ETF_METRICS,
    GOVERNANCE_PARAMETERS,
    GOVERNANCE_PROPOSALS,
)
from ballast.contract_monitor.adapters.calls import Caller
from ballast.contract_monitor.adapters.governance import GovernanceAddresses, GovernanceReader
from ballast.contract_monitor.adapters.logs import LogFetcher
from ballast.contract_monitor.adapters.publisher import FactPublisher
from ballast.contract_monitor.adapters.repository import Repository
from ballast.contract_monitor.adapters.rpc import Rpc
from ballast.contract_monitor.adapters.suite import EtfReader, SuiteAddresses
from ballast.contract_monitor.app import ContractMonitor
from ballast.contract_monitor.domain.model import MonitorConfig
from ballast.contract_monitor.metrics import MonitorMetrics
from ballast.contract_monitor.proposals import Proposals
from ballast.contract_monitor.settings import ContractMonitorSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def _req(value: str | None) -> str:
    if value is None:  # settings validation guarantees the ETF addresses
        raise ValueError("address missing")
    return value


def monitor_config(s: ContractMonitorSettings) -> MonitorConfig:
    governance: tuple[str, ...] = ()
    if s.governor and s.governance_token:
        governance = (s.governor,) + tuple(a for a in (s.timelock, s.strategy_parameters) if a)
    return MonitorConfig(
        etf_addresses=(_req(s.stake_basket), _req(s.staking_manager), _req(s.unbonding_queue)),
        governance_addresses=governance,
        confirmations=s.confirmations,
        block_range=s.block_range,
        start_block=s.start_block,
        reorg_window_blocks=s.reorg_window_blocks,
        metrics_every_blocks=s.metrics_every_blocks,
        invariant_tolerance=s.invariant_tolerance,
        loss_event_names=tuple(s.loss_event_names),
        block_seconds=s.block_seconds,
    )


class ContractMonitorApp(ServiceApp):
    """`poll=False` leaves the poll job out, so a test can drive `app.core.poll()` itself."""

    def __init__(self, settings: ContractMonitorSettings, *, poll: bool = True,
                 registry: CollectorRegistry | None = None) -> None:
        s = settings
        service = Service("contract-monitor", s, migrations_dir=MIGRATIONS, registry=registry)
        super().__init__(service)
        self.metrics = MonitorMetrics(service.registry)
        config = monitor_config(s)
        self.rpc = Rpc(s.rpc_url, s.rpc_timeout_seconds)
        caller = Caller(self.rpc, s.multicall3)
        self.etf = EtfReader(caller, SuiteAddresses(
            stake_basket=_req(s.stake_basket), token=_req(s.basket_token),
            staking_manager=_req(s.staking_manager), unbonding_queue=_req(s.unbonding_queue),
            price_feed=_req(s.price_feed), corebtc=_req(s.corebtc)))
        repository = Repository(service.db)
        publisher = FactPublisher(service.bus)
        proposals = None
        if s.governor and s.governance_token:
            governance = GovernanceReader(caller, GovernanceAddresses(
                governor=s.governor, timelock=s.timelock or s.governor, token=s.governance_token))
            proposals = Proposals(governance, repository, publisher, self.metrics,
                                  block_seconds=s.block_seconds)
        self.core = ContractMonitor(
            self.rpc, LogFetcher(self.rpc, config.addresses), self.etf, proposals, repository,
            publisher, self.metrics, config)
        bus = service.bus
        # declared for the AsyncAPI document; the publisher adapter does the work
        bus.publisher(ETF_METRICS, EtfMetrics, "one read of the StakeBasket suite per N blocks")
        bus.publisher(ETF_EVENTS_ALL, EtfEvent,
                      "each confirmed StakeBasket/StakingManager/UnbondingQueue log; "
                      "removed=true when a reorg undid it")
        bus.publisher(GOVERNANCE_PROPOSALS, GovernanceProposal,
                      "a proposal on each Governor event, and its progress while open")
        bus.publisher(GOVERNANCE_PARAMETERS, StrategyParameterChanged,
                      "each confirmed ParameterChanged of StrategyParameters; removed=true when "
                      "a reorg undid it")
        service.on_start(self.core.start)
        service.on_stop(self.rpc.close)
        if poll:
            service.every(s.poll_interval_seconds, "contract-poll")(self.core.poll)


def build_app(settings: ContractMonitorSettings, **overrides: Any) -> ContractMonitorApp:
    return ContractMonitorApp(settings, **overrides)


def main() -> None:
    settings = load_settings(ContractMonitorSettings)
    asyncio.run(build_app(settings).run())
