"""The garbage collector's pauses, kept short and counted (a helper of Service).

A full collection walks every object the process holds. A service holds about 120,000 at start
(web3, pydantic's schemas, the ABI tables) and a full pass over them stops its event loop for
about 50 ms on a quiet 2-core machine, more under load: a price on its way to a decision waits
that long (bench/path.py saw single moves at 50-100 ms among a p50 of 10 ms). What a service
made at start lives until it stops, so `freeze` moves it out of the collector's view once
started (`gc.freeze`): later collections walk only what the service made since, and the objects
are still freed at exit.

`GcPauses` times every collection (`gc.callbacks`) into `ballast_gc_pause_seconds{generation}`
on the service's registry, so a pause shows on a dashboard rather than as an unexplained tail.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from prometheus_client import CollectorRegistry, Histogram

PAUSE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)


def freeze() -> int:
    """Collect once, then leave everything alive now out of later collections; how many
    objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class GcPauses:
    """Times the collector's passes while installed (`install` / `uninstall`)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.histogram = Histogram(
            "ballast_gc_pause_seconds",
            "Time the event loop stood still in one garbage collection, by generation",
            ["generation"], registry=registry, buckets=PAUSE_BUCKETS)
        self._by_generation: list[Histogram] = [self.histogram.labels(str(g)) for g in range(3)]
        self._started = 0.0

    def install(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def uninstall(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started:
            generation: int = info["generation"]
            self._by_generation[generation].observe(time.perf_counter() - self._started)
            self._started = 0.0
