"""Composition root: settings -> Service, RPC readers, monitor, poll job (DESIGN.md "Inside a
service"). `python -m ballast.contract_monitor` runs it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from ballast.common.messages import EtfEvent, EtfMetrics, GovernanceProposal
from ballast.common.service import Service
from ballast.common.settings import load_settings
from ballast.common.subjects import ETF_EVENTS_ALL, ETF_METRICS, GOVERNANCE_PROPOSALS
from ballast.contract_monitor.adapters.calls import Caller
from ballast.contract_monitor.adapters.governance import GovernanceAddresses, GovernanceReader
from ballast.contract_monitor.adapters.repository import Repository
from ballast.contract_monitor.adapters.rpc import Rpc
from ballast.contract_monitor.adapters.suite import EtfReader, SuiteAddresses
from ballast.contract_monitor.handlers import FactPublisher
from ballast.contract_monitor.metrics import MonitorMetrics
from ballast.contract_monitor.monitor import ContractMonitor, MonitorConfig
from ballast.contract_monitor.settings import ContractMonitorSettings

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class ContractMonitorApp:
    service: Service
    monitor: ContractMonitor
    metrics: MonitorMetrics

    async def start(self) -> None:
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()

    async def run(self) -> None:
        await self.service.run()


def _req(value: str | None) -> str:
    if value is None:  # settings validation guarantees the ETF addresses
        raise ValueError("address missing")
    return value


def build_app(settings: ContractMonitorSettings, *, poll: bool = True) -> ContractMonitorApp:
    """`poll=False` leaves the poll job out, so a test can drive `app.monitor.poll()` itself."""
    s = settings
    service = Service("contract-monitor", s, migrations_dir=MIGRATIONS)
    metrics = MonitorMetrics(service.registry)
    rpc = Rpc(s.rpc_url, s.rpc_timeout_seconds)
    caller = Caller(rpc, s.multicall3)
    etf = EtfReader(caller, SuiteAddresses(
        stake_basket=_req(s.stake_basket), token=_req(s.basket_token),
        staking_manager=_req(s.staking_manager), unbonding_queue=_req(s.unbonding_queue),
        price_feed=_req(s.price_feed), corebtc=_req(s.corebtc)))
    governance = None
    gov_addresses: tuple[str, ...] = ()
    if s.governor and s.governance_token:
        governance = GovernanceReader(caller, GovernanceAddresses(
            governor=s.governor, timelock=s.timelock or s.governor, token=s.governance_token))
        gov_addresses = (s.governor,) + ((s.timelock,) if s.timelock else ())
    monitor = ContractMonitor(
        rpc, etf, governance, FactPublisher(service.bus), metrics,
        MonitorConfig(
            etf_addresses=(etf.a.stake_basket, etf.a.staking_manager, etf.a.unbonding_queue),
            governance_addresses=gov_addresses,
            confirmations=s.confirmations,
            block_range=s.block_range,
            start_block=s.start_block,
            reorg_window_blocks=s.reorg_window_blocks,
            metrics_every_blocks=s.metrics_every_blocks,
            invariant_tolerance=s.invariant_tolerance,
            loss_event_names=tuple(s.loss_event_names),
            block_seconds=s.block_seconds,
        ),
    )
    bus = service.bus
    # declared for the AsyncAPI document; the publisher does the work
    bus.publisher(ETF_METRICS, EtfMetrics, "one read of the StakeBasket suite per N blocks")
    bus.publisher(ETF_EVENTS_ALL, EtfEvent,
                  "each confirmed StakeBasket/StakingManager/UnbondingQueue log; removed=true "
                  "when a reorg undid it")
    bus.publisher(GOVERNANCE_PROPOSALS, GovernanceProposal,
                  "a proposal on each Governor event, and its progress while open")

    @service.on_start
    async def start_monitor() -> None:
        await monitor.start(Repository(service.db))

    @service.on_stop
    async def close_rpc() -> None:
        await rpc.close()

    if poll:
        @service.every(s.poll_interval_seconds, "contract-poll")
        async def poll_chain() -> None:
            await monitor.poll()

    return ContractMonitorApp(service, monitor, metrics)


def main() -> None:
    settings = load_settings(ContractMonitorSettings)
    asyncio.run(build_app(settings).run())
