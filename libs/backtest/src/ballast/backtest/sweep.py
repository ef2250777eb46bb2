"""`--sweep key=v1,v2,... [key=...]`: the same run over a grid of settings, in a process pool.

Each point is a full run (the engine, not a shortcut) with the `--set` values plus the point's;
a point whose settings the live validation refuses is a row with its error. The table holds, per
point: PSTR max drawdown with the policy (and without, the same for every point of one input),
minimum reserve ratio, interventions, PUMP spent (USD) and execution cost. With two keys a heatmap
of each of drawdown, minimum RR and cost is drawn.
"""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from decimal import Decimal
from pathlib import Path
from typing import Any

from ballast.backtest.config import Source, resolve, split_sets
from ballast.backtest.engine import Engine
from ballast.backtest.tape import Tape

COLUMNS = ("drawdown_with", "drawdown_without", "min_rr", "interventions", "pump_spent_usd",
           "cost_usd", "error")
_tape: Tape | None = None


def parse_grid(items: list[str]) -> dict[str, list[str]]:
    grid: dict[str, list[str]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        options = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not options:
            raise ValueError(f"--sweep {item!r}: expected key=v1,v2,...")
        split_sets([f"{key}={v}" for v in options])  # the key and the form of each value
        grid[key.strip().lower()] = options
    return grid


def points(grid: dict[str, list[str]]) -> list[dict[str, str]]:
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def _init(source: Source) -> None:
    global _tape  # noqa: PLW0603 - one tape per worker process, built once
    _tape = source.tape()


def run_point(sets: dict[str, str], point: dict[str, str]) -> dict[str, Any]:
    assert _tape is not None
    row: dict[str, Any] = dict(point)
    try:
        params, account = resolve({**sets, **point})
    except ValueError as err:
        return row | {c: "" for c in COLUMNS} | {"error": str(err)}
    r = Engine(_tape, params, account).run()
    acted = r.acted
    return row | {
        "drawdown_with": f"{r.drawdown_with:.4f}",
        "drawdown_without": f"{r.drawdown_without:.4f}",
        "min_rr": "" if r.min_rr_with is None else f"{r.min_rr_with:.4f}",
        "interventions": len(acted),
        "pump_spent_usd": f"{sum((i.spent_usd for i in acted), Decimal(0)):.2f}",
        "cost_usd": f"{sum((i.cost_usd for i in r.interventions), Decimal(0)):.2f}",
        "error": "",
    }


def sweep(source: Source, sets: dict[str, str], grid: dict[str, list[str]],
          workers: int | None = None,
          progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    todo = points(grid)
    rows: list[dict[str, Any] | None] = [None] * len(todo)
    with ProcessPoolExecutor(workers or os.cpu_count() or 1, initializer=_init,
                             initargs=(source,)) as pool:
        futures = {pool.submit(run_point, sets, p): n for n, p in enumerate(todo)}
        for done, future in enumerate(as_completed(futures), start=1):
            rows[futures[future]] = future.result()
            if progress is not None:
                progress(done, len(todo))
    return [r for r in rows if r is not None]


def write_csv(rows: list[dict[str, Any]], keys: list[str], path: Path) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[*keys, *COLUMNS])
        w.writeheader()
        w.writerows(rows)
