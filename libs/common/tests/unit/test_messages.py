"""The bus contract: Decimal not float, aware UTC times, unknown fields ignored, bad rejected."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

from ballast.common import messages as m
from ballast.common import subjects as s

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def observation(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "source": "pyth",
        "symbol": "PSTR",
        "price": "1.2345",
        "confidence": "0.001",
        "published_at": "2026-11-22T12:00:00Z",
        "observed_at": "2026-11-22T12:00:01Z",
    }
    base.update(overrides)
    return base


def test_price_observation__decimal_string__round_trips_exactly() -> None:
    obs = m.PriceObservation.model_validate(observation(price="0.1000000000000000000001"))
    again = m.PriceObservation.model_validate_json(obs.model_dump_json())
    assert again.price == Decimal("0.1000000000000000000001")
    assert '"price":"0.1000000000000000000001"' in obs.model_dump_json()


def test_price_observation__float_amount__rejected() -> None:
    with pytest.raises(ValidationError, match="never float"):
        m.PriceObservation.model_validate(observation(price=1.5))


def test_price_observation__json_float_amount__rejected() -> None:
    raw = '{"source":"pyth","symbol":"PSTR","price":1.5,"published_at":"2026-11-22T12:00:00Z",'
    raw += '"observed_at":"2026-11-22T12:00:00Z"}'
    with pytest.raises(ValidationError, match="never float"):
        m.PriceObservation.model_validate_json(raw)


def test_price_observation__naive_time__rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        m.PriceObservation.model_validate(observation(published_at="2026-11-22T12:00:00"))


def test_price_observation__other_offset__normalised_to_utc() -> None:
    plus_two = datetime(2026, 11, 22, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    obs = m.PriceObservation.model_validate(observation(published_at=plus_two))
    assert obs.published_at == NOW
    assert obs.published_at.tzinfo == UTC


def test_message__unknown_field__ignored() -> None:
    obs = m.PriceObservation.model_validate(observation(added_by_a_newer_producer=42))
    assert not hasattr(obs, "added_by_a_newer_producer")


@pytest.mark.parametrize("field", ["source", "symbol", "price", "published_at", "observed_at"])
def test_price_observation__missing_required_field__rejected(field: str) -> None:
    data = observation()
    del data[field]
    with pytest.raises(ValidationError, match=field):
        m.PriceObservation.model_validate(data)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-1", "0", "abc"])
def test_price_observation__non_positive_or_non_finite_price__rejected(bad: str) -> None:
    with pytest.raises(ValidationError):
        m.PriceObservation.model_validate(observation(price=bad))


def test_message__every_payload__carries_schema_version() -> None:
    for model in s.PAYLOADS.values():
        assert "schema_version" in model.model_fields, model.__name__


def test_message__symbol_with_dot__rejected_because_it_would_split_a_subject() -> None:
    with pytest.raises(ValidationError):
        m.PriceObservation.model_validate(observation(symbol="PSTR.USD"))


def _types_in(annotation: object) -> set[object]:
    found: set[object] = {annotation}
    for arg in get_args(annotation):
        found |= _types_in(arg)
    return found


def test_models__no_float_annotations_anywhere() -> None:
    models = set(s.PAYLOADS.values()) | {
        m.SourceReading, m.Holding, m.InputStatus, m.DecisionInputs, m.LiquidityPosition,
        m.FeedReading, m.AllocationEntry,
    }
    for model in models:
        for name, info in model.model_fields.items():
            assert float not in _types_in(info.annotation), f"{model.__name__}.{name} is a float"


def test_subjects__design_table__every_subject_has_a_payload_and_a_stream() -> None:
    found = [p / "shared" / "DESIGN.md" for p in Path(__file__).resolve().parents]
    design = next((p for p in found if p.exists()), None)
    if design is None:
        pytest.skip("shared/DESIGN.md is not beside this checkout")
    rows = re.findall(r"^\| `([a-z.<>]+)`(?: / `([a-z.<>]+)`)? \|", design.read_text(), re.M)
    named = {sub for row in rows for sub in row if sub}
    assert len(named) >= 15
    patterns = list(s.PAYLOADS)
    for subject in named:
        concrete = re.sub(r"<[^>]+>", "x", subject)
        assert any(s.subject_matches(p, concrete) for p in patterns), subject
        assert s.stream_for(concrete).name


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("prices.consensus.*", "prices.consensus.PSTR", True),
        ("prices.consensus.*", "prices.consensus.PSTR.x", False),
        ("prices.observed.>", "prices.observed.pyth.PSTR", True),
        ("prices.observed.>", "prices.observed", False),
        ("treasury.state", "treasury.state", True),
        ("treasury.state", "treasury.states", False),
    ],
)
def test_subject_matches__nats_wildcards__as_nats_does(
    pattern: str, subject: str, expected: bool
) -> None:
    assert s.subject_matches(pattern, subject) is expected


def test_builders__dot_in_token__rejected() -> None:
    with pytest.raises(ValueError, match="subject token"):
        s.prices_consensus("PSTR.*")


def test_namespace__prefix__applies_to_subjects_streams_and_durables() -> None:
    ns = s.Namespace("t1a2b")
    assert ns.subject("treasury.state") == "t1a2b.treasury.state"
    assert ns.unprefix("t1a2b.treasury.state") == "treasury.state"
    assert ns.stream("PRICES") == "T1A2B_PRICES"
    assert ns.durable("treasury") == "t1a2b_treasury"
    assert s.Namespace().subject("treasury.state") == "treasury.state"


def test_streams__no_subject_is_kept_by_two_streams() -> None:
    for pattern in s.PAYLOADS:
        concrete = pattern.replace(">", "x.y").replace("*", "x")
        owners = [
            spec.name
            for spec in s.STREAMS
            if any(s.subject_matches(p, concrete) for p in spec.subjects)
        ]
        assert len(owners) == 1, (pattern, owners)
