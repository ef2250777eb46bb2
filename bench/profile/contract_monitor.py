"""bench/contract_monitor.py as it is, with cProfile around the first round's service backfill
(the profile docs/perf cites). The printed medians take the other rounds: with BENCH_ROUNDS=3
the profiled, slowest round drops out.

    .venv/bin/python bench/profile/contract_monitor.py /tmp/cm.prof

Not part of `make bench`.
"""

from __future__ import annotations

import cProfile
import importlib
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))

bench = importlib.import_module("contract_monitor")  # bench/contract_monitor.py
_service = bench.bench_service
_rounds: list[int] = []


async def profiled(*args: Any, **kwargs: Any) -> Any:
    _rounds.append(1)
    if len(_rounds) > 1:
        return await _service(*args, **kwargs)
    profile = cProfile.Profile()
    profile.enable()
    try:
        return await _service(*args, **kwargs)
    finally:
        profile.disable()
        profile.dump_stats(sys.argv[1])


if __name__ == "__main__":
    setattr(bench, "bench_service", profiled)  # noqa: B010 - a module attribute
    bench.main()
