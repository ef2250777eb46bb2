"""CPU cost of one consensus round (the pure `compute`), the part of the oracle's hot path that
issue #17's checks touch; figures, never a verdict.

Three sources on one symbol, 20,000 rounds, five repetitions, CPU time (process_time, so a
loaded machine disturbs it less than bench/oracle.py's wall-clock figures): without an anchor,
with an anchor inside its bound, and with a fourth source (an even count: the capped weights
are computed rather than equal).

    .venv/bin/python bench/consensus.py
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ballast.common.messages import PriceObservation
from ballast.oracle.domain.anchor import CLEAR
from ballast.oracle.domain.consensus import SourceInput, compute
from ballast.oracle.domain.jump_guard import JumpState
from ballast.oracle.domain.policy import AnchorConfig, ConsensusConfig, SourcePolicy

T0 = datetime(2026, 11, 22, tzinfo=UTC)
ROUNDS, REPEATS = 20_000, 5
POLICY = SourcePolicy(max_age=timedelta(days=1))


def source(name: str, i: int) -> SourceInput:
    reading = PriceObservation(
        source=name, symbol="PSTR", price=Decimal(2_500_000 + i).scaleb(-6),
        confidence=Decimal("0.001"), published_at=T0, observed_at=T0)
    return SourceInput(name, POLICY, reading)


def per_round(names: tuple[str, ...], config: ConsensusConfig) -> float:
    inputs = [source(n, i) for i, n in enumerate(names)]
    best = float("inf")
    for _ in range(REPEATS):
        jump, anchor = JumpState(), CLEAR
        started = time.process_time()
        for k in range(ROUNDS):
            result = compute("PSTR", inputs, config, T0, jump, anchor=anchor, sequence=k)
            jump, anchor = result.jump, result.anchor
        best = min(best, (time.process_time() - started) / ROUNDS)
    return best * 1e6


def main() -> None:
    cases = [
        ("3 sources, no anchor", ("pyth", "switchboard", "dex_twap"),
         ConsensusConfig(min_sources=2)),
        ("3 sources, chainlink anchor", ("pyth", "switchboard", "chainlink"),
         ConsensusConfig(min_sources=2, anchor=AnchorConfig(source="chainlink"))),
        ("4 sources, chainlink anchor", ("pyth", "switchboard", "dex_twap", "chainlink"),
         ConsensusConfig(min_sources=2, anchor=AnchorConfig(source="chainlink"))),
    ]
    for label, names, config in cases:
        print(f"consensus round, {label:<28} {per_round(names, config):7.1f} us CPU "
              f"(best of {REPEATS} x {ROUNDS:,})")


if __name__ == "__main__":
    main()
