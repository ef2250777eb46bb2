"""`ballast scenario <name>`, and the background runner `ballast up` starts after the deploy."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ballast.cli.devnet.command import default_deployment_path, default_rpc_url
from ballast.cli.scenarios.baton import Baton, BatonBusy
from ballast.cli.scenarios.model import DEFAULT_INTERVAL, DEFAULT_SPEED
from ballast.common.deployment import Deployment


def scenario_command(
    name: str,
    *,
    rpc_url: str | None,
    deployment: Path | None,
    seed: int,
    speed: float,
    steps: int | None,
    interval: int,
) -> int:
    from ballast.cli.scenarios import SCENARIOS, run  # noqa: PLC0415

    if name not in SCENARIOS:
        print(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    path = deployment or default_deployment_path()
    if not path.is_file():
        print(f"no deployment at {path}: run `ballast deploy devnet` first", file=sys.stderr)
        return 2

    def out(line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')}  {line}", flush=True)

    try:
        with Baton(path.parent).hold():
            run(rpc_url or default_rpc_url(), Deployment.load(path), name, seed=seed,
                speed=speed, steps=steps, interval=interval, out=out)
    except (BatonBusy, TimeoutError) as exc:
        print(f"cannot run {name}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
    return 0


def start_background(
    rpc_url: str, deployment: Path, name: str, log_path: Path, *, speed: float = DEFAULT_SPEED,
    interval: int = DEFAULT_INTERVAL,
) -> Callable[[], None]:
    """Run scenario `name`, then the calm walk (scenarios.run_forever), in a daemon thread, one
    line per step into `log_path`, yielding to any `ballast scenario` run against the same
    deployment file (baton.py); returns the function that stops it (and waits for the step in
    flight to finish)."""
    from ballast.cli.scenarios import run_forever  # noqa: PLC0415

    stop = threading.Event()
    baton = Baton(deployment.parent)
    log_path.parent.mkdir(parents=True, exist_ok=True)

    def target() -> None:
        with log_path.open("a", buffering=1) as log:
            def out(line: str) -> None:
                log.write(f"{time.strftime('%H:%M:%S')}  {line}\n")

            try:
                with baton.runner():
                    run_forever(rpc_url, Deployment.load(deployment), name, speed=speed,
                                interval=interval, out=out, stop=stop.is_set, baton=baton)
            except Exception as exc:  # a stopped anvil ends the thread; say why in the log
                with contextlib.suppress(OSError):
                    log.write(f"scenario {name} stopped: {exc!r}\n")

    thread = threading.Thread(target=target, name=f"scenario-{name}", daemon=True)
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=10)

    return stopper
