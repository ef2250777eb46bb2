"""Sum a py-spy raw (collapsed stacks) profile per frame: inclusive and self samples.

    .venv/bin/python bench/profile/pyspy_collapse.py spy-treasury.txt [top]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def main(path: str, top: int) -> None:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with Path(path).open() as lines:
        for line in lines:
            stack, _, count = line.rstrip().rpartition(" ")
            samples = int(count)
            total += samples
            frames = stack.split(";")
            for frame in set(frames):
                inclusive[frame] += samples
            own[frames[-1]] += samples
    print(f"total samples {total}")
    for title, counter, n in (("inclusive", inclusive, top), ("self", own, 25)):
        print(f"--- {title}")
        for frame, samples in counter.most_common(n):
            print(f"{samples:6d} {100 * samples / max(total, 1):5.1f}% {frame[:150]}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40)
