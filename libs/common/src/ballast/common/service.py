"""The inside of every service process: one composition, the same start and stop.

A service's `main.py` builds its settings, then `Service(...)`, registers its subscribers on
`service.bus` and its periodic jobs with `service.every(...)`, and calls `service.run()`.
Start order: logging, tracing, HTTP ops port, Postgres pool and migrations (under an advisory
lock), the bus (streams, then subscribers), heartbeat and jobs. SIGTERM/SIGINT stop in reverse
order, letting in-flight handlers finish (FastStream's graceful timeout).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from opentelemetry import trace
from prometheus_client import CollectorRegistry

from ballast.common import gcpause
from ballast.common.bus import Bus, BusConfig
from ballast.common.cancel import stopping
from ballast.common.db import PROBE_SECONDS, Database
from ballast.common.gcpause import GcPauses
from ballast.common.heartbeat import heartbeat_loop
from ballast.common.observability import OpsServer, build_tracer_provider, configure_logging
from ballast.common.schedule import Clock, Schedule, ensure_table, wall_clock
from ballast.common.settings import ServiceSettings
from ballast.common.subjects import Namespace

log = logging.getLogger("ballast.service")

Job = Callable[[], Awaitable[None]]

STOP_PHASE_SECONDS = 15.0
"""How long each phase of a stop may take (Kubernetes' grace period is 30 s)."""


def _path(path: Path | None) -> str | None:
    return str(path) if path is not None else None


class Service:
    """Composition root helpers shared by all services (DESIGN.md "Inside a service")."""

    def __init__(
        self,
        name: str,
        settings: ServiceSettings,
        *,
        version: str = "0.1.0",
        migrations_dir: Path | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.version = version
        self.migrations_dir = migrations_dir
        self.registry = registry or CollectorRegistry()
        self.tracer_provider = build_tracer_provider(name, settings.otlp_endpoint)
        self.tracer = self.tracer_provider.get_tracer(f"ballast.{name}")
        self.bus = Bus(
            BusConfig(
                service=name,
                nats_url=settings.nats_url,
                namespace=Namespace(settings.bus_prefix),
                credentials_file=_path(settings.nats_credentials_file),
                user=settings.nats_user,
                password=(
                    settings.nats_password.get_secret_value() if settings.nats_password else None
                ),
                tls_ca_file=_path(settings.nats_tls_ca_file),
            ),
            registry=self.registry,
            tracer_provider=self.tracer_provider,
        )
        self.database = Database(settings.database_url.get_secret_value())
        self.ops = OpsServer(
            self.registry,
            {"nats": lambda: self.bus.connected, "postgres": lambda: self.database.connected},
            settings.http_host,
            settings.http_port,
        )
        self._jobs: list[tuple[str, float, Job, bool]] = []
        self.schedules: dict[str, Schedule] = {}
        self._supervised: list[tuple[str, Job]] = []
        self._on_start: list[Job] = []
        self._on_stop: list[Job] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self.gc_pauses = GcPauses(self.registry)

    # ------------------------------------------------------------------ registration
    def every(self, seconds: float, name: str, *, aligned: bool = False) -> Callable[[Job], Job]:
        """Decorator: run `job` at start, then every `seconds` while the service runs (errors
        are logged). A process-local tick: each replica runs it. `aligned`: after the first
        run, at the epoch-aligned UTC boundaries of `seconds` rather than `seconds` apart."""

        def register(job: Job) -> Job:
            self._jobs.append((name, seconds, job, aligned))
            return job

        return register

    def schedule(
        self, seconds: float, name: str, *, clock: Clock | None = None,
        at_first_start: bool = True,
    ) -> Callable[[Job], Job]:
        """Decorator: run `job` once per epoch-aligned UTC period of `seconds`, across replicas
        and restarts, caught up once after a downtime (`ballast.common.schedule`)."""

        def register(job: Job) -> Job:
            self.schedules[name] = Schedule(
                self.database, f"{self.name}.{name}", seconds, job,
                clock=clock or wall_clock, at_first_start=at_first_start,
            )
            return job

        return register

    def on_start(self, hook: Job) -> Job:
        """Run after Postgres and the bus connect, before subscribers receive messages."""
        self._on_start.append(hook)
        return hook

    def on_stop(self, hook: Job) -> Job:
        self._on_stop.append(hook)
        return hook

    def supervise(self, name: str, work: Job) -> Job:
        """Run `work` for the life of the service; if it ends or fails, start it again after a
        backoff (1 s doubling to 30 s, reset after a minute of running)."""
        self._supervised.append((name, work))
        return work

    @property
    def db(self) -> Database:
        """The service's Postgres (connected at start): what repositories take."""
        return self.database

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        configure_logging(self.name, self.settings.log_level)
        trace.set_tracer_provider(self.tracer_provider)
        await self.ops.start()
        await self.database.connect(self.name, self.migrations_dir)
        await self.bus.broker.connect()
        for hook in self._on_start:
            await hook()
        await self.bus.start()
        self._tasks.append(
            asyncio.create_task(
                heartbeat_loop(
                    self.bus,
                    self.name,
                    self.version,
                    self.ops.readiness,
                    self.settings.heartbeat_interval_seconds,
                ),
                name="heartbeat",
            )
        )
        self._tasks.append(asyncio.create_task(
            self._repeat("postgres probe", PROBE_SECONDS, self._probe_postgres, False),
            name="postgres probe"))
        for name, seconds, job, aligned in self._jobs:
            self._tasks.append(
                asyncio.create_task(self._repeat(name, seconds, job, aligned), name=name)
            )
        if self.schedules:
            await ensure_table(self.database)
        for name, scheduled in self.schedules.items():
            self._tasks.append(asyncio.create_task(scheduled.run(), name=name))
        for name, work in self._supervised:
            self._tasks.append(asyncio.create_task(self._restart(name, work), name=name))
        self.gc_pauses.install()
        frozen = gcpause.freeze()  # what start made lives until stop: out of the collector's walk
        log.info("service started", extra={"http_port": self.ops.bound_port, "gc_frozen": frozen})

    async def stop(self) -> None:
        """Stop in reverse order. Every phase is bounded (STOP_PHASE_SECONDS): a task or a hook
        that does not finish is named in the log and left behind, so a stop always ends."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=STOP_PHASE_SECONDS)
            if pending:
                log.error("tasks did not stop", extra={"tasks": sorted(t.get_name()
                                                                        for t in pending)})
        self._tasks.clear()
        for hook in reversed(self._on_stop):
            await self._bounded(f"stop hook {getattr(hook, '__qualname__', hook)}", hook())
        await self._bounded("bus", self.bus.stop())
        await self._bounded("database", self.database.close())
        await self.ops.stop()
        self.tracer_provider.shutdown()
        self.gc_pauses.uninstall()
        log.info("service stopped")

    async def _bounded(self, what: str, step: Awaitable[None]) -> None:
        try:
            await asyncio.wait_for(step, STOP_PHASE_SECONDS)
        except TimeoutError:
            log.error("stop step did not finish", extra={"step": what,
                                                         "seconds": STOP_PHASE_SECONDS})
        except Exception:
            log.exception("stop step failed", extra={"step": what})

    async def run(self) -> None:
        """Start, wait for SIGTERM or SIGINT, stop."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        await self.start()
        try:
            await self._stopping.wait()
        finally:
            await self.stop()

    async def _restart(self, name: str, work: Job) -> None:
        backoff = 1.0
        while True:
            began = asyncio.get_running_loop().time()
            try:
                await work()
                log.warning("supervised task ended, restarting", extra={"task": name})
            except Exception:
                stopping()  # a cancel a library turned into an error is still a stop
                log.exception("supervised task failed, restarting", extra={"task": name})
            if asyncio.get_running_loop().time() - began > 60:
                backoff = 1.0
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)

    async def _probe_postgres(self) -> None:
        await self.database.probe()

    async def _repeat(self, name: str, seconds: float, job: Job, aligned: bool) -> None:
        while True:
            try:
                await job()
            except Exception:
                stopping()
                log.exception("job failed", extra={"job": name})
            await asyncio.sleep(seconds - time.time() % seconds if aligned else seconds)


class ServiceApp:
    """What every service's `build_app(settings, **overrides)` returns: the running process.

    `service` is the shared glue (ops port, Postgres, bus, jobs, supervised tasks); a subclass
    builds its adapters and its application core (`app.py`) in its constructor, registers its
    handlers, and adds only what the process needs beyond the glue (an API server, a poll job).
    """

    def __init__(self, service: Service) -> None:
        self.service = service

    @property
    def registry(self) -> CollectorRegistry:
        return self.service.registry

    async def start(self) -> None:
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()

    async def run(self) -> None:
        await self.service.run()
