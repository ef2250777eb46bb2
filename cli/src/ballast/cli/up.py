"""`ballast up`: the whole system on one machine, and `ballast status` for a running one.

Order: nats-server (NATS_URL, else our own with JetStream, data in .ballast/nats, and the users
and permissions of production: ballast.cli.busauth; a NATS_URL server is used as it is), Postgres
(DATABASE_URL, else embedded under .ballast/postgres, or outside the checkout when the `postgres`
user cannot reach it: see ballast.devstack.postgres_home), anvil (+ the devnet deployment when
the devnet deployment, and the local Pyth Hermes + Switchboard Crossbar priced from it:
ballast.cli.offchain), then every registered service as its own process, then the live view.
Ctrl-C (or SIGTERM) stops the services first, then anvil, Postgres and NATS. When Postgres or
NATS cannot be had, it stops what it started and says why in one line.
`.ballast/stack.json` records the running stack for `ballast status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from ballast.cli import local_gateway
from ballast.cli.busauth import OBSERVER, BusUsers, run_authenticated_nats
from ballast.cli.infra import alive, data_dir_for, pick_port, port_free
from ballast.cli.offchain import offchain_url, start_offchain
from ballast.cli.registry import ServiceSpec, installed_services
from ballast.cli.status import live_view
from ballast.cli.view import BusWatcher
from ballast.devnet import deploy
from ballast.devstack.anvil import run_anvil
from ballast.devstack.nats import NatsUnavailableError, require_jetstream
from ballast.devstack.postgres import EmbeddedPostgres, EmbeddedPostgresError
from ballast.devstack.processes import ManagedProcess, repo_root, start_process
from ballast.strategy.settings import strategy_from_env

console = Console(stderr=True)


@dataclass
class Stack:
    root: Path
    data_dir: Path
    nats_url: str = ""
    database_url: str = ""
    rpc_url: str = ""
    infra: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    infra_pids: list[int] = field(default_factory=list[int])
    services: list[tuple[ServiceSpec, int, ManagedProcess]] = field(
        default_factory=list[tuple[ServiceSpec, int, ManagedProcess]]
    )
    anvil_running: bool = False
    deployment: Path | None = None
    offchain: ManagedProcess | None = None
    offchain_url: str = ""
    bus_users: BusUsers | None = None  # None: NATS_URL's server, used without users

    def state_file(self) -> Path:
        return self.data_dir / "stack.json"

    def save(self) -> None:
        state = {
            "nats_url": self.nats_url,
            "database_url": self.database_url,
            "rpc_url": self.rpc_url,
            "pid": os.getpid(),
            "services": [
                {"name": spec.name, "port": port, "pid": proc.pid}
                for spec, port, proc in self.services
            ],
            "infra_pids": self.infra_pids,
        }
        if self.bus_users is not None:  # `ballast status` logs in as the observer
            state["nats_user"] = OBSERVER
            state["nats_password_file"] = str(self.bus_users.password_file(OBSERVER))
        self.state_file().write_text(json.dumps(state, indent=2))

    def stop(self) -> None:
        for _, _, proc in reversed(self.services):
            proc.stop(timeout=15)
        self.infra.close()  # anvil, Postgres, NATS: the reverse of their start
        with contextlib.suppress(FileNotFoundError):
            self.state_file().unlink()


def service_env(stack: Stack, spec: ServiceSpec, port: int) -> dict[str, str]:
    """What a service needs to join this stack (added to the inherited environment)."""
    p = spec.env_prefix
    env = {
        f"{p}NATS_URL": stack.nats_url,
        f"{p}DATABASE_URL": stack.database_url,
        f"{p}HTTP_PORT": str(port),
        f"{p}HTTP_HOST": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }
    if stack.bus_users is not None:
        env |= stack.bus_users.service_env(spec)
    if spec.needs_chain and stack.rpc_url:
        env[f"{p}RPC_URL"] = stack.rpc_url
    env |= local_gateway.service_env(stack.data_dir, spec)
    console = stack.root / "web" / "dist"
    if spec.api_port is not None and (console / "index.html").exists():
        env[f"{p}STATIC_DIR"] = str(console)  # the web console (`make setup` builds it)
    if stack.deployment is not None:
        env[f"{p}DEPLOYMENT_FILE"] = str(stack.deployment)
        # the deployer writes a service's devnet sources beside deployment.json (oracle-devnet.json)
        devnet_config = stack.deployment.parent / f"{spec.name}-devnet.json"
        if devnet_config.exists():
            env[f"{p}CONFIG_FILE"] = str(devnet_config)
    return env


def start_stack(root: Path, *, with_services: bool = True, safe: bool = True) -> Stack:
    data_dir = data_dir_for(root)
    data_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(root=root, data_dir=data_dir)
    if stack.state_file().exists():
        pid = json.loads(stack.state_file().read_text()).get("pid")
        if alive(pid):
            raise SystemExit(f"a stack is already up here (pid {pid}): see `ballast status`")
    try:
        t0 = time.monotonic()
        if os.environ.get("NATS_URL"):
            stack.nats_url = os.environ["NATS_URL"]
            require_jetstream(stack.nats_url, "NATS_URL")
            console.print("nats-server  NATS_URL from the environment")
        else:
            # the permission table is built from every service's code first (~4 s)
            nats, stack.bus_users = stack.infra.enter_context(run_authenticated_nats(
                data_dir / "nats", port=pick_port(4222), die_with_parent=True))
            stack.nats_url = nats.url
            stack.infra_pids += [nats.pid] if nats.pid else []
            console.print(f"nats-server  {stack.nats_url}, a user per service  "
                          f"({time.monotonic() - t0:.2f}s)")

        t0 = time.monotonic()
        if os.environ.get("DATABASE_URL"):
            stack.database_url = os.environ["DATABASE_URL"]
            console.print("postgres     DATABASE_URL from the environment")
        else:
            postgres = EmbeddedPostgres(
                data_dir / "postgres", port=pick_port(5432), die_with_parent=True
            )
            stack.database_url = postgres.start().dsn
            stack.infra.callback(postgres.stop)
            if postgres.process is not None:
                stack.infra_pids.append(postgres.process.pid)
            console.print(f"postgres     embedded, {stack.database_url}, data in "
                          f"{postgres.pgdata}  ({time.monotonic() - t0:.2f}s)")

        t0 = time.monotonic()
        anvil = stack.infra.enter_context(
            run_anvil(data_dir / "anvil", port=pick_port(8545), die_with_parent=True)
        )
        stack.rpc_url = anvil.rpc_url
        stack.infra_pids += [anvil.pid] if anvil.pid else []
        stack.anvil_running = True
        console.print(f"anvil        {stack.rpc_url}  ({time.monotonic() - t0:.2f}s)")
        stack.deployment = deploy_devnet(stack, offchain_url(port := pick_port(8710)), safe=safe)
        t0 = time.monotonic()  # the local Pyth Hermes + Switchboard Crossbar
        stack.offchain = stack.infra.enter_context(start_offchain(
            stack.rpc_url, stack.deployment, port, data_dir / "logs" / "offchain.log",
            die_with_parent=True))
        stack.offchain_url = offchain_url(port)
        stack.infra_pids.append(stack.offchain.pid)
        console.print(f"offchain     {stack.offchain_url}  ({time.monotonic() - t0:.2f}s)")

        if with_services:
            for offset, spec in enumerate(installed_services()):
                port = spec.http_port if port_free(spec.http_port) else pick_port(19100 + offset)
                proc = start_process(
                    [sys.executable, "-m", spec.module],
                    name=spec.name,
                    log_path=data_dir / "logs" / f"{spec.name}.log",
                    env=service_env(stack, spec, port),
                    die_with_parent=True,
                )
                stack.services.append((spec, port, proc))
        stack.save()
    except BaseException:
        stack.stop()
        raise
    return stack


def deploy_devnet(stack: Stack, offchain_url: str | None = None, *, safe: bool = False) -> Path:
    """Deploy the devnet contracts (ballast.devnet); the oracle's devnet sources include the
    off-chain server at `offchain_url`. `safe`: the treasury is held by a Safe and the bot acts
    through its Roles modifier, with the role the strategy settings generate."""
    t0 = time.monotonic()
    path = stack.data_dir / "deployment.json"
    custody = strategy_from_env().params() if safe else None
    deployment = deploy(stack.rpc_url, path, offchain_url=offchain_url, custody=custody)
    held = f"treasury Safe {deployment.custody.safe}" if deployment.custody else "treasury EOA"
    console.print(f"devnet       deployed, {held}, {path}  ({time.monotonic() - t0:.2f}s)")
    return path


def start_scenario(stack: Stack, name: str | None) -> Callable[[], None]:
    """Drive the devnet market with scenario `name` in a background thread (log:
    .ballast/logs/scenario.log); returns its stopper. No deployment or no name: nothing runs."""
    if not name or stack.deployment is None:
        return lambda: None
    from ballast.cli.scenarios.command import start_background  # noqa: PLC0415

    log = stack.data_dir / "logs" / "scenario.log"
    console.print(f"scenario     {name} in real time, a step every 5 s, log {log}")
    return start_background(stack.rpc_url, stack.deployment, name, log)


def up(*, with_services: bool = True, scenario: str | None = "calm", safe: bool = True) -> int:
    root = repo_root()
    t0 = time.monotonic()
    try:
        stack = start_stack(root, with_services=with_services, safe=safe)
    except KeyboardInterrupt:  # start_stack has already stopped what it started
        console.print("interrupted while starting: stopped, no process left behind.")
        return 130
    except (EmbeddedPostgresError, NatsUnavailableError) as exc:  # one line: what, and what to do
        print(f"ballast up: {exc}", file=sys.stderr)  # not rich: no wrapping, no markup
        return 1
    console.print(f"stack up in {time.monotonic() - t0:.1f}s")
    for spec, port, _ in stack.services:
        console.print(f"  {spec.name:<18} http://127.0.0.1:{port}/metrics")
    for line in local_gateway.describe(stack.data_dir):
        console.print(line)
    if not stack.services:
        console.print("  (no services installed yet: showing infrastructure and heartbeats)")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # HUP: terminal closed
            loop.add_signal_handler(sig, stop.set)
        watcher = BusWatcher(stack.nats_url)
        if stack.bus_users is not None:
            watcher.user = OBSERVER
            watcher.password_file = stack.bus_users.password_file(OBSERVER)
        await watcher.start()
        try:
            await live_view(stack, watcher, stop)
        finally:
            await watcher.stop()

    stop_scenario = start_scenario(stack, None)  # a no-op until the real one starts
    try:
        stop_scenario = start_scenario(stack, scenario)
        asyncio.run(run())
    except KeyboardInterrupt:
        pass  # Ctrl-C before the live view took over the signals: stop the same way
    finally:
        # stop before printing: after SIGHUP the terminal is gone and printing raises
        with contextlib.suppress(OSError):
            console.print("stopping services and infrastructure...")
        stop_scenario()
        stack.stop()
        with contextlib.suppress(OSError):
            console.print("stopped: no process left behind.")
    return 0
