"""The collector's pauses: timed per generation while installed, and `freeze` leaves what is
alive out of later collections."""

from __future__ import annotations

import gc

from prometheus_client import CollectorRegistry

from ballast.common.gcpause import GcPauses, freeze


def pauses(registry: CollectorRegistry, generation: int) -> tuple[float, float]:
    labels = {"generation": str(generation)}
    count = registry.get_sample_value("ballast_gc_pause_seconds_count", labels)
    total = registry.get_sample_value("ballast_gc_pause_seconds_sum", labels)
    assert count is not None and total is not None
    return count, total


def test_gc_pauses__installed__a_full_collection_is_timed_and_uninstall_stops_it() -> None:
    registry = CollectorRegistry()
    timer = GcPauses(registry)
    timer.install()
    timer.install()  # once only
    try:
        gc.collect()
    finally:
        timer.uninstall()
    count, total = pauses(registry, 2)
    assert count == 1
    assert total > 0
    gc.collect()
    assert pauses(registry, 2)[0] == 1


def test_freeze__objects_alive_now__out_of_the_collectors_generations() -> None:
    kept = [[i] for i in range(10_000)]  # 10,000 tracked lists, alive across the freeze
    try:
        frozen = freeze()
        assert frozen >= len(kept)
        assert all(not any(o is x for o in gc.get_objects(2)) for x in kept[:3])
    finally:
        gc.unfreeze()
