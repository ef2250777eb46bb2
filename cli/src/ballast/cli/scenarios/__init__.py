"""Market scenarios on the devnet: `ballast scenario <name>` (and `ballast up --scenario`).

generators.py says what happens (pure, seeded), driver.py makes the chain say it. `run` ties them
to a deployment: it reads where the market is now (the median of the sources per symbol), builds
the steps from there and executes them, printing one line per step.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path

from ballast.cli.scenarios.baton import Baton
from ballast.cli.scenarios.driver import Market, open_market, run_steps
from ballast.cli.scenarios.generators import DEFAULT_STEPS, SCENARIOS, generate
from ballast.cli.scenarios.model import DEFAULT_INTERVAL, DEFAULT_SPEED, ScenarioParams, Step
from ballast.common.deployment import Deployment

__all__ = ["SCENARIOS", "Baton", "Market", "Step", "run", "run_forever"]


def run(
    rpc_url: str,
    deployment: Deployment,
    name: str,
    *,
    seed: int = 0,
    speed: float = DEFAULT_SPEED,
    steps: int | None = None,
    interval: int = DEFAULT_INTERVAL,
    anchor: Mapping[str, Decimal] | None = None,
    out: Callable[[str], None] = print,
    stop: Callable[[], bool] = lambda: False,
    artifacts: Path | None = None,
) -> list[tuple[Step, int]]:
    """Run scenario `name` once; returns (step, block) of every executed step. The calm walk
    reverts to `anchor` (default: the deployment's reference prices)."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    market = open_market(rpc_url, deployment, artifacts)
    params = ScenarioParams(
        start=market.start_prices(),
        anchor=anchor or deployment.reference_prices,
        steps=steps if steps else DEFAULT_STEPS[name],
        interval=interval,
        seed=seed,
    )
    plan = generate(name, params)
    out(f"scenario {name}: {len(plan)} steps of {interval}s chain time at {speed:g}x, seed {seed}")
    return run_steps(market, plan, interval=interval, speed=speed, out=out, stop=stop)


def run_forever(
    rpc_url: str,
    deployment: Deployment,
    name: str,
    *,
    seed: int = 0,
    speed: float = DEFAULT_SPEED,
    interval: int = DEFAULT_INTERVAL,
    out: Callable[[str], None] = print,
    stop: Callable[[], bool] = lambda: False,
    baton: Baton | None = None,
) -> None:
    """What `ballast up` runs in the background until `stop()`: `name` once, then the calm walk,
    round after round (seed + round). Calm reverts to the reference prices at first; after any
    other scenario, or after a foreground `ballast scenario` took the baton (we pause between
    steps and acknowledge), it walks around wherever the market was left instead of undoing it."""
    anchor: Mapping[str, Decimal] | None = None
    current = name
    paused = False

    def foreground() -> int | None:
        return baton.foreground_pid() if baton is not None else None

    for round_ in itertools.count():
        if stop():
            return
        holder = foreground()
        if holder is not None and baton is not None:
            if not paused:
                out(f"paused: pid {holder} is running a scenario")
            baton.acknowledge(holder)
            paused = True
            time.sleep(0.1)
            continue
        if paused:
            paused, current = False, "calm"
            anchor = open_market(rpc_url, deployment).start_prices()
        run(rpc_url, deployment, current, seed=seed + round_, speed=speed, interval=interval,
            anchor=anchor, out=out, stop=lambda: stop() or foreground() is not None)
        if current != "calm":
            current = "calm"
            anchor = open_market(rpc_url, deployment).start_prices()
