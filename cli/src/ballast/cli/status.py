"""What the terminal shows of a stack: the live view of `ballast up`, and `ballast status` (the
same view, once, of a stack already up, read from `.ballast/stack.json`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.live import Live

from ballast.cli.infra import alive, data_dir_for
from ballast.cli.view import BusWatcher, InfraRow, render
from ballast.devstack.processes import repo_root

if TYPE_CHECKING:
    from ballast.cli.up import Stack

console = Console(stderr=True)


async def live_view(stack: Stack, watcher: BusWatcher, stop: asyncio.Event) -> None:
    infra = [
        InfraRow("nats-server", stack.nats_url, lambda: watcher.connected),
        InfraRow("postgres", stack.database_url.split("?")[0], lambda: True),
        InfraRow("anvil", stack.rpc_url, lambda: stack.anvil_running),
    ]
    if (offchain := stack.offchain) is not None:
        infra.append(InfraRow("hermes+crossbar", stack.offchain_url, lambda: offchain.running))
    services = [(spec, port, (lambda p=proc: p.running)) for spec, port, proc in stack.services]
    with Live(render(infra, services, watcher), console=console, refresh_per_second=2) as live:
        while not stop.is_set():
            live.update(render(infra, services, watcher))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)


def status(seconds: float = 2.0) -> int:
    root = repo_root()
    state_file = data_dir_for(root) / "stack.json"
    if not state_file.exists():
        console.print("no stack is up here (start one with `make run` or `ballast up`)")
        return 1
    state = json.loads(state_file.read_text())
    from ballast.cli.registry import SERVICES  # noqa: PLC0415

    by_name = {spec.name: spec for spec in SERVICES}
    services = [
        (by_name[s["name"]], int(s["port"]), (lambda pid=s["pid"]: alive(pid)))
        for s in state["services"]
        if s["name"] in by_name
    ]
    password_file = state.get("nats_password_file")
    watcher = BusWatcher(state["nats_url"], user=state.get("nats_user"),
                         password_file=Path(password_file) if password_file else None)

    async def snapshot() -> None:
        await watcher.start()
        await asyncio.sleep(seconds)
        await watcher.stop()

    asyncio.run(snapshot())
    infra = [
        InfraRow("nats-server", state["nats_url"], lambda: watcher.connected),
        InfraRow("postgres", str(state["database_url"]).split("?")[0], lambda: True),
        InfraRow("anvil", state["rpc_url"], lambda: alive(state["pid"])),
    ]
    Console().print(render(infra, services, watcher))
    return 0
