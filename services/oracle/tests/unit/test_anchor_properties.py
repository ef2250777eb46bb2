"""Property: random honest paths plus a pump of every market source never give an OK round at a
price further than the configured tolerance from the fresh anchor (issue #17, Mango 2022)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.common.messages import ConsensusStatus, PriceObservation
from ballast.oracle.domain.anchor import AnchorState
from ballast.oracle.domain.consensus import SourceInput, compute
from ballast.oracle.domain.jump_guard import JumpState
from ballast.oracle.domain.policy import AnchorConfig, ConsensusConfig, SourcePolicy

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
MARKET = ("pyth", "switchboard", "dex_twap")
POLICY = SourcePolicy(max_age=timedelta(seconds=60), max_conf_ratio=None)
ANCHOR_POLICY = SourcePolicy(max_age=timedelta(seconds=120), max_conf_ratio=None)


@st.composite
def paths(draw: st.DrawFn) -> dict[str, object]:
    steps = draw(st.integers(min_value=5, max_value=80))
    return {
        "start": draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100000),
                                  places=4)),
        # honest log-returns per step, at most 2% (a fast market, not a pump)
        "returns": draw(st.lists(st.integers(min_value=-200, max_value=200),
                                 min_size=steps, max_size=steps)),
        "gaps": draw(st.lists(st.integers(min_value=1, max_value=30), min_size=steps,
                              max_size=steps)),
        "noise": draw(st.lists(st.lists(st.integers(min_value=-30, max_value=30), min_size=3,
                                        max_size=3), min_size=steps, max_size=steps)),
        "pump_from": draw(st.integers(min_value=0, max_value=steps - 1)),
        "pump_steps": draw(st.integers(min_value=1, max_value=steps)),
        "pump_to": draw(st.decimals(min_value=Decimal("1.01"), max_value=Decimal(10),
                                    places=2)),
        "anchor_every": draw(st.integers(min_value=1, max_value=3)),
        "anchor_stops": draw(st.one_of(st.none(), st.integers(min_value=0,
                                                               max_value=steps - 1))),
        "weight": draw(st.sampled_from([Decimal(0), Decimal("0.3"), Decimal(1)])),
        "max_move": draw(st.sampled_from([Decimal("0.05"), Decimal("0.10"), Decimal("0.25")])),
    }


def observation(source: str, price: Decimal, at: datetime) -> SourceInput:
    policy = ANCHOR_POLICY if source == "chainlink" else POLICY
    reading = PriceObservation(source=source, symbol="PSTR", price=price, published_at=at,
                               observed_at=at, confidence=price / 1000)
    return SourceInput(source, policy, reading)


@settings(max_examples=200, deadline=None)
@given(paths())
def test_compute__honest_path_plus_pump_of_every_market_source__never_ok_far_from_anchor(
    path: dict[str, object],
) -> None:
    max_move: Decimal = path["max_move"]  # type: ignore[assignment]
    config = ConsensusConfig(
        min_sources=2, confidence_weight=path["weight"],  # type: ignore[arg-type]
        anchor=AnchorConfig(source="chainlink", max_move=max_move),
    )
    returns: list[int] = path["returns"]  # type: ignore[assignment]
    gaps: list[int] = path["gaps"]  # type: ignore[assignment]
    noise: list[list[int]] = path["noise"]  # type: ignore[assignment]
    pump_from: int = path["pump_from"]  # type: ignore[assignment]
    pump_steps: int = path["pump_steps"]  # type: ignore[assignment]
    pump_to: Decimal = path["pump_to"]  # type: ignore[assignment]
    anchor_every: int = path["anchor_every"]  # type: ignore[assignment]
    anchor_stops: int | None = path["anchor_stops"]  # type: ignore[assignment]

    honest: Decimal = path["start"]  # type: ignore[assignment]
    now = T0
    anchor_reading: SourceInput | None = None  # at most 80 x 30 s: the 1 h hold never ends
    jump, anchor = JumpState(), AnchorState()
    for k, (r, gap) in enumerate(zip(returns, gaps, strict=True)):
        now += timedelta(seconds=gap)
        honest = honest * (1 + Decimal(r).scaleb(-4))
        progress = min(max(k - pump_from + 1, 0), pump_steps)
        pump = 1 + (pump_to - 1) * progress / pump_steps
        items = [observation(name, honest * pump * (1 + Decimal(n).scaleb(-4)), now)
                 for name, n in zip(MARKET, noise[k], strict=True)]
        if (anchor_stops is None or k < anchor_stops) and k % anchor_every == 0:
            anchor_reading = observation("chainlink", honest, now)
        if anchor_reading is not None:
            items.append(anchor_reading)
        result = compute("PSTR", items, config, now, jump, anchor=anchor)
        jump, anchor = result.jump, result.anchor
        price = result.price
        if price.status is not ConsensusStatus.OK or anchor_reading is None:
            continue
        assert anchor_reading.reading is not None
        fresh = now - anchor_reading.reading.published_at <= ANCHOR_POLICY.max_age
        if fresh:
            assert price.price is not None
            ref = anchor_reading.reading.price
            assert abs(price.price - ref) / ref <= max_move, (k, price.price, ref)
