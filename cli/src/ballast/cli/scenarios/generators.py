"""The market scenarios of issue #3, as pure generators: ScenarioParams in, list[Step] out.

    calm           mean-reverting random walk of every symbol on every source (a few bps of
                   independent noise per oracle, so sources agree but are not identical)
    crash          PSTR falls 35% on every source in equal steps, through the seed's 15/20/30%
                   drawdown tiers ("Deployment Logic"); everything else holds (heartbeats)
    slow-bleed     PSTR drifts down 20% on every source with a little noise; everything else holds
    flash-spike    PSTR on the DEX pools +50% for one block, back to where it was in the very next
                   block (one chain second later): the bZx pattern, "never trust one block"
    oracle-attack  the DEX diverges: PSTR pools pushed +50% and held there while aggregator and
                   Pyth stay (Mango 2022: a venue pumped and kept pumped)
    stale-feed     the calm walk everywhere, but the PSTR aggregator stops updating after the first
                   step (LUNA 2022: a feed stuck while the market moves; its updatedAt freezes)
    pump           PSTR pumped 10x on every market source (Pyth and every DEX pool) in equal
                   log steps, while the aggregator (the anchor) holds: Mango 2022, thin venues
                   pumped together over minutes (120 steps of 5 s: ten minutes)

REFERENCE.md "Incidents an oracle must survive" is where the last five come from. Every price is
rounded to 8 decimals, the aggregators' precision, so what a step says is exactly what the chain
can hold.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from decimal import Decimal

from ballast.cli.scenarios.model import (
    SOURCES,
    SYMBOLS,
    Prices,
    ScenarioParams,
    Source,
    Step,
    same_on_all,
)

QUANTUM = Decimal("0.00000001")
CRASH_DRAWDOWN = Decimal("0.35")
BLEED_DRAWDOWN = Decimal("0.20")
SPIKE = Decimal("1.5")
ATTACK = Decimal("1.5")
PUMP = 10.0
MARKET_SOURCES: tuple[Source, ...] = ("pyth", "dex")
TIERS = ((Decimal("0.30"), 3), (Decimal("0.20"), 2), (Decimal("0.15"), 1))

# Per-step volatility and pull back to the anchor of the calm walk (log terms).
CALM_VOL = {"PSTR": 0.004, "PUMP": 0.005, "CORE": 0.003, "BTC": 0.002}
CALM_REVERSION = 0.1
ORACLE_NOISE = 0.0003

Generator = Callable[[ScenarioParams], list[Step]]


def q(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(QUANTUM)


def tier(drawdown: Decimal) -> int:
    """0 below 15%, else the seed's tier (1: >= 15%, 2: >= 20%, 3: >= 30%)."""
    return next((n for floor, n in TIERS if drawdown >= floor), 0)


def _hold(start: Prices) -> dict[Source, Prices]:
    return same_on_all({s: q(p) for s, p in start.items()})


def _with(base: dict[Source, Prices], symbol: str, price: Decimal,
          sources: tuple[Source, ...] = SOURCES) -> dict[Source, dict[str, Decimal]]:
    out: dict[Source, dict[str, Decimal]] = {s: dict(prices) for s, prices in base.items()}
    for source in sources:
        out[source][symbol] = q(price)
    return out


def calm(p: ScenarioParams) -> list[Step]:
    rng = random.Random(p.seed)
    log_price = {s: math.log(float(p.start[s])) for s in SYMBOLS}
    anchor = {s: math.log(float(p.anchor.get(s, p.start[s]))) for s in SYMBOLS}
    steps: list[Step] = []
    for k in range(p.steps):
        targets: dict[Source, dict[str, Decimal]] = {source: {} for source in SOURCES}
        for s in SYMBOLS:
            x = log_price[s]
            x += CALM_REVERSION * (anchor[s] - x) + rng.gauss(0.0, CALM_VOL[s])
            log_price[s] = x
            for source in SOURCES:
                noise = 0.0 if source == "dex" else rng.gauss(0.0, ORACLE_NOISE)
                targets[source][s] = q(math.exp(x + noise))
        note = "walk " + " ".join(f"{s} {targets['dex'][s]:.4f}" for s in ("PSTR", "PUMP", "CORE"))
        steps.append(Step(k, (k + 1) * p.interval, targets, note))
    return steps


def crash(p: ScenarioParams) -> list[Step]:
    start = p.start["PSTR"]
    steps: list[Step] = []
    for k in range(p.steps):
        drawdown = CRASH_DRAWDOWN * (k + 1) / p.steps
        price = start * (1 - drawdown)
        n = tier(drawdown)
        note = f"PSTR -{drawdown:.1%} to {q(price):.4f} on every source" + (
            f" (tier {n})" if n else "")
        steps.append(Step(k, (k + 1) * p.interval, _with(_hold(p.start), "PSTR", price), note,
                          frozenset({f"tier{n}"}) if n else frozenset()))
    return steps


def slow_bleed(p: ScenarioParams) -> list[Step]:
    rng = random.Random(p.seed)
    start = p.start["PSTR"]
    steps: list[Step] = []
    for k in range(p.steps):
        trend = BLEED_DRAWDOWN * (k + 1) / p.steps
        jitter = Decimal(str(rng.gauss(0.0, 0.002))) if k + 1 < p.steps else Decimal(0)
        price = start * (1 - trend + jitter)
        note = f"PSTR {price / start - 1:+.2%} to {q(price):.4f} on every source"
        steps.append(Step(k, (k + 1) * p.interval, _with(_hold(p.start), "PSTR", price), note))
    return steps


def flash_spike(p: ScenarioParams) -> list[Step]:
    start = p.start["PSTR"]
    spike_at = max(1, p.steps // 2) if p.steps > 2 else 0
    steps: list[Step] = []
    at = 0
    for k in range(p.steps):
        if k == spike_at + 1:
            at += 1  # the very next block: one chain second later
            steps.append(Step(k, at, _hold(p.start), f"PSTR on the DEX back to {q(start):.4f}",
                              frozenset({"spike-end"})))
            continue
        at += p.interval
        if k == spike_at:
            targets = _with(_hold(p.start), "PSTR", start * SPIKE, ("dex",))
            note = f"PSTR on the DEX spiked +50% to {q(start * SPIKE):.4f} for one block"
            steps.append(Step(k, at, targets, note, frozenset({"spike"})))
        else:
            steps.append(Step(k, at, _hold(p.start), "hold (heartbeat)"))
    return steps


def oracle_attack(p: ScenarioParams) -> list[Step]:
    start = p.start["PSTR"]
    attack_from = max(1, p.steps // 4) if p.steps > 1 else 0
    steps: list[Step] = []
    for k in range(p.steps):
        if k >= attack_from:
            targets = _with(_hold(p.start), "PSTR", start * ATTACK, ("dex",))
            note = (f"PSTR on the DEX held at {q(start * ATTACK):.4f} (+50%), aggregator and "
                    f"Pyth at {q(start):.4f}")
            steps.append(Step(k, (k + 1) * p.interval, targets, note, frozenset({"attack"})))
        else:
            steps.append(Step(k, (k + 1) * p.interval, _hold(p.start), "hold (heartbeat)"))
    return steps


def stale_feed(p: ScenarioParams) -> list[Step]:
    steps: list[Step] = []
    for step in calm(p):
        if step.index == 0:
            steps.append(step)
            continue
        targets: dict[Source, dict[str, Decimal]] = {
            source: dict(prices) for source, prices in step.targets.items()
        }
        del targets["aggregator"]["PSTR"]
        steps.append(Step(step.index, step.at, targets,
                          step.note + "; PSTR aggregator not updated (stale)",
                          frozenset({"stale"})))
    return steps


def pump(p: ScenarioParams) -> list[Step]:
    start = p.start["PSTR"]
    steps: list[Step] = []
    for k in range(p.steps):
        factor = Decimal(str(PUMP ** ((k + 1) / p.steps)))
        price = start * factor
        targets = _with(_hold(p.start), "PSTR", price, MARKET_SOURCES)
        note = (f"PSTR on Pyth and the DEX pumped x{factor:.3f} to {q(price):.4f}, "
                f"aggregator at {q(start):.4f}")
        steps.append(Step(k, (k + 1) * p.interval, targets, note, frozenset({"pump"})))
    return steps


SCENARIOS: dict[str, Generator] = {
    "calm": calm,
    "crash": crash,
    "slow-bleed": slow_bleed,
    "flash-spike": flash_spike,
    "oracle-attack": oracle_attack,
    "stale-feed": stale_feed,
    "pump": pump,
}

DEFAULT_STEPS = {
    "calm": 60,
    "crash": 12,
    "slow-bleed": 48,
    "flash-spike": 8,
    "oracle-attack": 12,
    "stale-feed": 30,
    "pump": 120,
}


def generate(name: str, params: ScenarioParams) -> list[Step]:
    """The steps of scenario `name`; KeyError names the known scenarios."""
    try:
        generator = SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
    if params.steps < 1:
        raise ValueError("a scenario needs at least one step")
    return generator(params)
