"""Composition root: settings -> Service, repository, chain, signer, decider, executor.

`python -m ballast.intervention` runs it. Paper mode (the default) builds no signer at all, so
nothing can be signed; live mode opens the keystore (or the remote signer) once, here.
The executor runs on a tick, only while this process holds the lease (one active executor).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

from ballast.common.evm.parameters import read_parameters
from ballast.common.messages import ExecutionMode
from ballast.common.service import Service, ServiceApp
from ballast.common.settings import load_settings
from ballast.intervention.adapters.chain import Chain
from ballast.intervention.adapters.lease import PgLease
from ballast.intervention.adapters.repository import Repository
from ballast.intervention.adapters.signer import KeystoreError, LocalSigner, RemoteSigner, Signer
from ballast.intervention.app import Checkpoint, Decider, no_checkpoint
from ballast.intervention.domain.automation import AutomationConfig
from ballast.intervention.executor import Executor
from ballast.intervention.handlers import register
from ballast.intervention.metrics import InterventionMetrics
from ballast.intervention.settings import InterventionSettings
from ballast.strategy.onchain import LiveParams, key_name

if TYPE_CHECKING:
    from ballast.common.proposals.store import ProposalStore

log = logging.getLogger("ballast.intervention")

MIGRATIONS = Path(__file__).parent / "migrations"
PROPOSALS_RELAY_SECONDS = 5.0


def build_signer(settings: InterventionSettings) -> Signer | None:
    if settings.mode is not ExecutionMode.LIVE:
        return None
    if settings.keystore_path is not None and settings.keystore_password_file is not None:
        return LocalSigner.from_keystore(settings.keystore_path, settings.keystore_password_file)
    if settings.remote_signer_url is None or settings.remote_signer_address is None:
        raise KeystoreError("mode=live needs a keystore or a remote signer")
    return RemoteSigner(settings.remote_signer_url, settings.remote_signer_address)


def automation_config(settings: InterventionSettings) -> AutomationConfig:
    return AutomationConfig(
        accumulate_symbol=settings.accumulate_token_symbol,
        accumulate_decimals=settings.accumulate_token_decimals,
        rebalance_interval_seconds=settings.rebalance_interval_seconds,
        compound_min_rewards_usd=settings.compound_min_rewards_usd,
        compound_interval_seconds=settings.compound_interval_seconds,
        buffer_share=settings.etf_buffer_share,
        basket_actions=settings.basket_actions,
        stake_interval_seconds=settings.stake_interval_seconds,
        large_deposit_usd=settings.large_deposit_usd,
        fund_interval_seconds=settings.fund_interval_seconds,
    )


class InterventionApp(ServiceApp):
    """`crash` is for the crash tests' own entry point only (services/intervention/tests/
    crash_entry.py): a checkpoint called at each point they may SIGKILL the process at."""

    def __init__(
        self,
        settings: InterventionSettings,
        *,
        registry: CollectorRegistry | None = None,
        crash: Checkpoint | None = None,
    ) -> None:
        super().__init__(
            Service("intervention", settings, migrations_dir=MIGRATIONS, registry=registry)
        )
        service = self.service
        checkpoint = crash or no_checkpoint
        self.settings = settings
        self.metrics = InterventionMetrics(service.registry)
        self.signer = build_signer(settings)
        self.chain = Chain(settings.rpc_url, settings.private_rpc_url)
        self.lease = PgLease(settings.database_url.get_secret_value())
        self.repo = Repository(service.db)
        self.live = LiveParams(settings.strategy_params.params())
        self.decider = Decider(
            self.repo, settings.policy(), settings.mode, service.bus.publish,
            automation=automation_config(settings), operators=settings.operator_identities,
            metrics=self.metrics, crash=checkpoint,
            live=self.live if settings.strategy_parameters_address else None,
        )
        custody = settings.custody()
        self.proposals: ProposalStore | None = None
        if custody is not None:  # the Safe client is imported only with custody (custody.py)
            from ballast.common.proposals.store import ProposalStore  # noqa: PLC0415

            self.proposals = ProposalStore(service.db, service.bus)
        self.executor = Executor(
            self.repo, self.chain, self.signer, service.bus.publish, settings.exec_config(),
            crash=checkpoint, metrics=self.metrics, tracer=service.tracer,
            proposals=self.proposals,
        )
        self.decider.on_params = self.executor.use_params
        register(service.bus, self.decider)
        service.on_start(self._read_parameters)
        service.on_start(self._ready)
        service.on_stop(self._close)
        if settings.executor_enabled:
            service.every(settings.executor_interval_seconds, "executor")(self.execute)
        if custody is not None:  # the Safe proposals the executor makes (custody.py)
            service.on_start(self._proposals_ready)
            service.every(PROPOSALS_RELAY_SECONDS, "proposals-outbox")(self._relay_proposals)

    async def _ready(self) -> None:
        self.metrics.paused.set(1 if await self.repo.paused() else 0)
        log.info(
            "intervention ready",
            extra={"mode": self.settings.mode.value,
                   "account": self.signer.address if self.signer else None},
        )

    async def _read_parameters(self) -> None:
        """Every strategy number from StrategyParameters, before the first decision; the
        environment's values stay when the chain's are inconsistent."""
        address = self.settings.strategy_parameters_address
        if address is None:
            return
        block, values = await read_parameters(self.chain.w3, address)
        refused = self.live.load({key_name(k): v for k, v in values.items()}, block)
        self.executor.use_params(self.live.params)
        log.log(logging.ERROR if refused else logging.INFO, "strategy parameters read",
                extra={"address": address, "block": block, "keys": len(values),
                       "refused": refused, "fingerprint": self.live.params.fingerprint()})

    async def _proposals_ready(self) -> None:
        from ballast.common.proposals.store import apply_migrations  # noqa: PLC0415

        await apply_migrations(self.service.db)
        await self._relay_proposals()

    async def _relay_proposals(self) -> None:
        """What a crash left between a proposal's commit and its publish."""
        if self.proposals is not None:
            await self.proposals.outbox.relay(self.service.db)

    async def _close(self) -> None:
        await self.lease.release()
        await self.chain.close()

    async def execute(self) -> None:
        """One executor pass, only as the lease holder."""
        held = await self.lease.acquire()
        self.metrics.lease_held.set(1 if held else 0)
        if held:
            await self.executor.run_once()


def build_app(
    settings: InterventionSettings, *, registry: CollectorRegistry | None = None,
    crash: Checkpoint | None = None,
) -> InterventionApp:
    return InterventionApp(settings, registry=registry, crash=crash)


def main() -> None:
    settings = load_settings(InterventionSettings)
    try:
        app = build_app(settings)
    except KeystoreError as err:  # one line, naming the file, never the key
        print(f"configuration error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    asyncio.run(app.run())
