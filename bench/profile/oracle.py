"""cProfile of bench/oracle.py's oracle phase (`bench_oracle`), the profile docs/perf cites.

    BENCH_SECONDS=0.5 .venv/bin/python bench/profile/oracle.py /tmp/oracle.prof
    .venv/bin/python -m pstats /tmp/oracle.prof   # then: sort tottime, stats 30

Not part of `make bench` (a profiler slows what it measures: the figures it prints are not the
benchmark's).
"""

from __future__ import annotations

import asyncio
import cProfile
import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ballast.devstack.nats import nats_url_or_private

sys.path.insert(0, str(Path(__file__).parents[1]))
oracle = importlib.import_module("oracle")  # bench/oracle.py


async def main(out: str) -> None:
    admin = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    work = Path(tempfile.mkdtemp(prefix="bench-nats-"))
    try:
        with nats_url_or_private(work) as url:
            profile = cProfile.Profile()
            profile.enable()
            results = await oracle.bench_oracle(url, admin)
            profile.disable()
            profile.dump_stats(out)
            print({k: v for k, v in results.items() if k != "latency"})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
