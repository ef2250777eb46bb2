"""Composition root: settings -> Service, repository, chain, signer, decider, executor.

`python -m ballast.intervention` runs it. Paper mode (the default) builds no signer at all, so
nothing can be signed; live mode opens the keystore (or the remote signer) once at start.
The executor runs on a tick, only while this process holds the lease (one active executor).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry

from ballast.common.messages import ExecutionMode
from ballast.common.service import Service
from ballast.common.settings import load_settings
from ballast.intervention.adapters.chain import Chain
from ballast.intervention.adapters.lease import PgLease
from ballast.intervention.adapters.repository import Repository
from ballast.intervention.adapters.signer import KeystoreError, LocalSigner, RemoteSigner, Signer
from ballast.intervention.decider import AutomationConfig, Decider
from ballast.intervention.executor import Executor, no_crash
from ballast.intervention.handlers import register
from ballast.intervention.metrics import InterventionMetrics
from ballast.intervention.settings import InterventionSettings

log = logging.getLogger("ballast.intervention")

MIGRATIONS = Path(__file__).parent / "migrations"


def crash_hook(point_name: str | None) -> Callable[[str], None]:
    """Tests only: SIGKILL this process at the named point (the crash matrix)."""
    if not point_name:
        return no_crash

    def crash(point: str) -> None:
        if point == point_name:
            os.kill(os.getpid(), signal.SIGKILL)

    return crash


def build_signer(settings: InterventionSettings) -> Signer | None:
    if settings.mode is not ExecutionMode.LIVE:
        return None
    if settings.keystore_path is not None and settings.keystore_password_file is not None:
        return LocalSigner.from_keystore(settings.keystore_path, settings.keystore_password_file)
    assert settings.remote_signer_url and settings.remote_signer_address
    return RemoteSigner(settings.remote_signer_url, settings.remote_signer_address)


class InterventionApp:
    def __init__(
        self, settings: InterventionSettings, *, registry: CollectorRegistry | None = None
    ) -> None:
        self.settings = settings
        self.service = Service(
            "intervention", settings, migrations_dir=MIGRATIONS, registry=registry
        )
        self.metrics = InterventionMetrics(self.service.registry)
        self.signer = build_signer(settings)
        self.chain = Chain(settings.rpc_url, settings.private_rpc_url)
        self.crash = crash_hook(settings.crash_at)
        self.lease = PgLease(settings.database_url.get_secret_value())
        self._repo: Repository | None = None
        self._executor: Executor | None = None
        self._decider: Decider | None = None
        register(self.service.bus, lambda: self.decider)
        self.service.on_start(self._open)
        self.service.on_stop(self._close)
        if settings.executor_enabled:
            self.service.every(settings.executor_interval_seconds, "executor")(self.execute)

    @property
    def repo(self) -> Repository:
        if self._repo is None:
            raise RuntimeError("the intervention service has not started")
        return self._repo

    @property
    def decider(self) -> Decider:
        if self._decider is None:
            raise RuntimeError("the intervention service has not started")
        return self._decider

    async def _open(self) -> None:
        self._repo = Repository(self.service.db)
        settings = self.settings
        self._decider = Decider(
            self._repo,
            settings.policy(),
            settings.mode,
            self.service.bus.publish,
            automation=AutomationConfig(
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
            ),
            operators=settings.operator_identities,
            metrics=self.metrics,
            crash=self.crash,
        )
        self._executor = Executor(
            self._repo,
            self.chain,
            self.signer,
            self.service.bus.publish,
            self.settings.exec_config(),
            crash=self.crash,
            metrics=self.metrics,
            tracer=self.service.tracer,
        )
        self.metrics.paused.set(1 if await self._repo.paused() else 0)
        log.info(
            "intervention ready",
            extra={"mode": self.settings.mode.value,
                   "account": self.signer.address if self.signer else None},
        )

    async def _close(self) -> None:
        await self.lease.release()
        await self.chain.close()

    async def execute(self) -> None:
        """One executor pass, only as the lease holder."""
        held = await self.lease.acquire()
        self.metrics.lease_held.set(1 if held else 0)
        if held and self._executor is not None:
            await self._executor.run_once()


def build_app(settings: InterventionSettings) -> Service:
    return InterventionApp(settings).service


def main() -> None:
    settings = load_settings(InterventionSettings)
    try:
        service = build_app(settings)
    except KeystoreError as err:  # one line, naming the file, never the key
        print(f"configuration error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    asyncio.run(service.run())
