"""Backtest benchmark: a year of minute bars through the whole policy, and a 100-point sweep.

Prints figures, never a verdict (issue #14 goal: one year of minutes in <= 10 s on one core).

1. One year: 525,600 evaluated minutes of one symbol (PSTR; PUMP and USDC held at constant
   prices, as with a CSV of PSTR alone), after the 30-day warm-up that fills the VWAP (43,200
   more bars, VWAP only): 568,800 bars in all. Two years are run: `crash` (PSTR -35% on day 3 of
   the year, then the calm walk: 33 interventions) and `calm` (none). What runs per evaluated
   minute: the bar's PSTR/USDC trade into the treasury's RollingVwap, the reserve ratio and
   safety mode (ballast.strategy.reserve), both drawdowns, and the decision: the fast path skips
   building the state when `evaluate` must block anyway (price not under the trigger; cooldown
   or daily limit; reserve ratio under 1.5), else `build_state` + `evaluate` (and a swap on the
   simulated pool when it acts). Hourly: a full state, `build_health` and the accumulation plan
   (and its buy); every 2 hours `build_risk` over the daily closes. The tape is generated before
   the clock starts; the report (matplotlib) is not part of the timing.
2. A 100-point sweep: max_deployment x pool_pump (10 x 10) over the 30-day crash scenario
   (86,400 bars per point), in a process pool of one worker per core.

    .venv/bin/python bench/backtest.py            # BENCH_PROFILE=1: cProfile's top 15 too
"""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from decimal import Decimal

from ballast.backtest.config import Source
from ballast.backtest.engine import Engine
from ballast.backtest.scenarios import scenario
from ballast.backtest.sweep import parse_grid, sweep
from ballast.backtest.tape import Tape
from ballast.strategy.params import StrategyParams

DAYS = 365


def one_symbol_year(name: str) -> Tape:
    full = scenario(name, seed=0, days=DAYS)
    return Tape(f"{name}-year", full.start_minute, full.length, full.warmup,
                {"PSTR": full.series["PSTR"]})


def year(name: str) -> None:
    started = time.perf_counter()
    tape = one_symbol_year(name)
    built = time.perf_counter() - started
    engine = Engine(tape, StrategyParams())
    started, cpu = time.perf_counter(), time.process_time()
    if os.environ.get("BENCH_PROFILE"):
        profile = cProfile.Profile()
        result = profile.runcall(engine.run)
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    else:
        result = engine.run()
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    evaluated = tape.length - tape.warmup
    print(f"{tape.name}: {tape.length:,} bars ({evaluated:,} evaluated + {tape.warmup:,} "
          f"warm-up) in {took:.2f} s wall, {cpu:.2f} s CPU = {tape.length / took:,.0f} bars/s "
          f"(tape built in {built:.2f} s; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)")
    fast = ", ".join(f"{k} {v:,}" for k, v in sorted(result.fast_path.items()))
    print(f"  interventions {len(result.acted)}; decisions {result.decisions_evaluated:,}: "
          f"{result.states_built:,} with a state built and evaluated, the rest settled by the "
          f"fast path ({fast})")


def hundred_point_sweep() -> None:
    values = ",".join(str(Decimal(n) / 20) for n in range(1, 11))  # 0.05 .. 0.5
    pools = ",".join(str(n * 1_000_000) for n in (1, 2, 3, 4, 6, 8, 10, 15, 20, 40))
    grid = parse_grid([f"max_deployment={values}", f"pool_pump={pools}"])
    workers = os.cpu_count() or 1
    started = time.perf_counter()
    rows = sweep(Source(scenario="crash", days=30), {}, grid, workers=workers)
    took = time.perf_counter() - started
    print(f"sweep: {len(rows)} points x 86,400 bars on {workers} worker(s) in {took:.1f} s "
          f"({took / len(rows):.2f} s per point)")


if __name__ == "__main__":
    year("crash")
    year("calm")
    hundred_point_sweep()
