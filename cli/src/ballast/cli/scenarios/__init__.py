"""Market scenarios on the devnet: `ballast scenario <name>` (and `ballast up --scenario`).

generators.py says what happens (pure, seeded), driver.py makes the chain say it. `run` ties them
to a deployment: it reads where the market is now (the median of the sources per symbol), builds
the steps from there and executes them, printing one line per step.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from ballast.cli.devnet.schema import Deployment
from ballast.cli.scenarios.driver import Market, open_market, run_steps
from ballast.cli.scenarios.generators import DEFAULT_STEPS, SCENARIOS, generate
from ballast.cli.scenarios.model import ScenarioParams, Step

__all__ = ["SCENARIOS", "Market", "Step", "run", "run_forever"]


def run(
    rpc_url: str,
    deployment: Deployment,
    name: str,
    *,
    seed: int = 0,
    speed: float = 60.0,
    steps: int | None = None,
    interval: int = 60,
    out: Callable[[str], None] = print,
    stop: Callable[[], bool] = lambda: False,
    artifacts: Path | None = None,
) -> list[tuple[Step, int]]:
    """Run scenario `name` once; returns (step, block) of every executed step."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    market = open_market(rpc_url, deployment, artifacts)
    params = ScenarioParams(
        start=market.start_prices(),
        anchor=deployment.reference_prices,
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
    speed: float = 60.0,
    interval: int = 60,
    out: Callable[[str], None] = print,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Run `name` again and again (each round from where the last left off, seed + round) until
    `stop()`; what `ballast up` runs in the background."""
    for round_ in itertools.count():
        if stop():
            return
        run(rpc_url, deployment, name, seed=seed + round_, speed=speed, interval=interval,
            out=out, stop=stop)
