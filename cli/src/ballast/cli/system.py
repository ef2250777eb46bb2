"""The whole Ballast system as processes, for the e2e tests and bench/path.py.

`System` takes a Postgres database that already runs (the plugin's fixture, or a benchmark's own)
and either a NATS server that runs (`nats_url`: used as it is, without users) or, with
`nats_url=None`, starts its own nats-server with the per-service users and permissions of
production (ballast.cli.busauth, as `ballast up` does; `bus_users` then logs an outsider in). On
them it starts what `ballast up` starts: an anvil of its own with the
devnet deployed (`ballast deploy devnet`), the local Pyth Hermes + Switchboard Crossbar priced
from that chain (ballast.cli.offchain; the oracle reads them), then every registered service
(ballast.cli.registry) as its own `python -m ballast.<service>` process with the environment
`ballast up` gives it (ballast.cli.up.service_env), plus a bus namespace of its own, an OTLP
endpoint and per-service overrides. It can kill and restart one service, and scrape every
`/metrics`.

Blocking calls (process starts, the deploy): run them off the event loop (`asyncio.to_thread`)
when the test also serves HTTP (an OTLP receiver, a webhook) from that loop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ballast.cli.busauth import BusUsers, run_authenticated_nats
from ballast.cli.offchain import offchain_url, start_offchain
from ballast.cli.registry import ServiceSpec, installed_services
from ballast.cli.up import Stack, service_env
from ballast.common.deployment import Deployment
from ballast.devnet import deploy
from ballast.devstack.anvil import Anvil, run_anvil
from ballast.devstack.postgres import run_embedded_postgres
from ballast.devstack.processes import ManagedProcess, free_port, repo_root, start_process
from ballast.devstack.proxy import TcpProxy

READY_TIMEOUT = 90.0


@contextlib.contextmanager
def infrastructure() -> Iterator[tuple[str | None, str]]:
    """(NATS URL, admin Postgres URL) for a System outside pytest (the benchmarks): the
    environment's NATS_URL and DATABASE_URL, else None (the System starts a nats-server with its
    users) and an embedded Postgres."""
    with contextlib.ExitStack() as stack:
        nats_url = os.environ.get("NATS_URL") or None
        admin = os.environ.get("DATABASE_URL") or stack.enter_context(
            run_embedded_postgres()).dsn
        yield nats_url, admin


@dataclass
class System:
    """See the module docstring. `start()`, then `stop()` (or use it as a context manager)."""

    work_dir: Path
    nats_url: str | None  # None: a private nats-server with users (start_bus)
    database_url: str
    namespace: str = ""
    otlp_endpoint: str | None = None
    overrides: Mapping[str, Mapping[str, str]] = field(default_factory=dict[str, dict[str, str]])
    """Per service name: extra environment (names without the service's prefix)."""
    anvil: Anvil | None = None
    deployment: Deployment | None = None
    processes: dict[str, ManagedProcess] = field(default_factory=dict[str, ManagedProcess])
    ports: dict[str, int] = field(default_factory=dict[str, int])
    offchain_url: str = ""
    bus_users: BusUsers | None = None
    durable_bus: bool = False
    """Its own nats-server with `sync_interval: always`, as production (the chaos suite)."""
    proxy_rpc: bool = False
    """Give the services anvil through a TcpProxy (`rpc_proxy`) that can be cut: an RPC outage."""
    rpc_proxy: TcpProxy | None = None
    nats_pid: int | None = None
    _infra: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    # ------------------------------------------------------------------ lifecycle
    @property
    def deployment_path(self) -> Path:
        return self.work_dir / "deployment.json"

    @property
    def rpc_url(self) -> str:
        if self.anvil is None:
            raise RuntimeError("the system's anvil is not started")
        return self.anvil.rpc_url

    @property
    def service_rpc_url(self) -> str:
        """The RPC URL the services are given: anvil's, or the proxy's in front of it."""
        return self.rpc_proxy.url if self.rpc_proxy is not None else self.rpc_url

    @property
    def nats_dir(self) -> Path:
        return self.work_dir / "nats"

    def start_bus(self) -> None:
        """Without a `nats_url`: a nats-server of this system's own, with a user per service
        (ballast.cli.busauth). Else, or once started, nothing."""
        if self.nats_url is not None:
            return
        if self.namespace:  # the users' permissions name production's subjects, unprefixed
            raise ValueError("a System with its own nats-server has no bus namespace")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        server, self.bus_users = self._infra.enter_context(
            run_authenticated_nats(self.nats_dir, sync_always=self.durable_bus))
        self.nats_url, self.nats_pid = server.url, server.pid

    def start_chain(self) -> Deployment:
        """The bus (start_bus), anvil, the devnet deployment (deployment.json,
        oracle-devnet.json) and the off-chain price server the oracle config names."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.start_bus()
        self.anvil = self._infra.enter_context(run_anvil(self.work_dir / "anvil"))
        if self.proxy_rpc:
            self.rpc_proxy = self._infra.enter_context(contextlib.closing(
                TcpProxy(_host_port(self.anvil.rpc_url)).start()))
        port = free_port()
        self.offchain_url = offchain_url(port)
        self.deployment = deploy(self.anvil.rpc_url, self.deployment_path,
                                 offchain_url=self.offchain_url)
        self._infra.enter_context(start_offchain(
            self.anvil.rpc_url, self.deployment_path, port,
            self.work_dir / "logs" / "offchain.log"))
        return self.deployment

    def start_services(self) -> None:
        """Every installed service, then wait until each answers /readyz."""
        self.start_bus()
        for spec in installed_services():
            self.start_service(spec.name)
        self.wait_ready()

    def start(self) -> System:
        self.start_chain()
        self.start_services()
        return self

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.processes[name].stop(timeout=10)
        self._infra.close()

    def __enter__(self) -> System:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ one service
    def spec(self, name: str) -> ServiceSpec:
        for spec in installed_services():
            if spec.name == name:
                return spec
        raise KeyError(f"no installed service named {name!r}")

    def env(self, spec: ServiceSpec, port: int) -> dict[str, str]:
        stack = Stack(
            root=repo_root(), data_dir=self.work_dir, nats_url=self.nats_url or "",
            database_url=self.database_url, rpc_url=self.service_rpc_url,
            deployment=self.deployment_path if self.deployment is not None else None,
            bus_users=self.bus_users,
        )
        env = service_env(stack, spec, port)
        p = spec.env_prefix
        env[f"{p}BUS_PREFIX"] = self.namespace
        if self.otlp_endpoint:
            env[f"{p}OTLP_ENDPOINT"] = self.otlp_endpoint
        env.update({f"{p}{key}": value for key, value in self.overrides.get(spec.name, {}).items()})
        return env

    def start_service(self, name: str) -> ManagedProcess:
        spec = self.spec(name)
        port = self.ports.get(name) or free_port()
        self.ports[name] = port
        proc = start_process(
            [sys.executable, "-m", spec.module], name=name,
            log_path=self.work_dir / "logs" / f"{name}.log", env=self.env(spec, port),
        )
        self.processes[name] = proc
        return proc

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hook runs (a crash, not a stop)."""
        proc = self.processes[name]
        proc.stop_signal = signal.SIGKILL
        proc.stop()

    def restart(self, name: str, *, crash: bool = True) -> ManagedProcess:
        """Kill (or stop) one service and start it again on the same port; waits for /readyz."""
        if crash:
            self.kill(name)
        else:
            self.processes[name].stop(timeout=10)
        proc = self.start_service(name)
        self.wait_ready([name])
        return proc

    # ------------------------------------------------------------------ HTTP
    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    def wait_ready(self, names: list[str] | None = None, timeout: float = READY_TIMEOUT) -> None:
        for name in names or list(self.processes):
            self.processes[name].wait_until(
                lambda n=name: _get(self.url(n, "/readyz")) is not None,
                what=f"{name} /readyz", timeout=timeout, interval=0.1,
            )

    def scrape(self, name: str) -> str:
        """The service's /metrics text (raises if it does not answer)."""
        body = _get(self.url(name, "/metrics"))
        if body is None:
            raise RuntimeError(f"{name}: /metrics did not answer at {self.url(name, '/metrics')}")
        return body

    def complaints(self, last: int = 5) -> str:
        """Each service's last `last` warning or error log lines: what a failed wait prints."""
        out: list[str] = []
        for name in self.processes:
            path = self.work_dir / "logs" / f"{name}.log"
            if not path.exists():
                continue
            lines = [line for line in path.read_text(errors="replace").splitlines()
                     if '"level": "warning"' in line or '"level": "error"' in line
                     or "Traceback" in line]
            out += [f"  {name}: {line[:600]}" for line in lines[-last:]]
        return "\n".join(out) or "  (no warnings or errors logged)"

    def check_alive(self) -> None:
        for proc in self.processes.values():
            proc.check_alive()


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _get(url: str, timeout: float = 2.0) -> str | None:
    """The body of a 200 answer, else None."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            if response.status == 200:
                return response.read().decode()
    except (OSError, urllib.error.URLError):
        pass
    return None
