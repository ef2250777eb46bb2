"""Fuzz: every bus payload's decode path either succeeds or raises pydantic's ValidationError,
for arbitrary bytes, arbitrary JSON, and objects with the model's own keys and odd values."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from ballast.common import messages

MODELS: list[type[BaseModel]] = sorted(
    (obj for obj in vars(messages).values()
     if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not messages.Message),
    key=lambda t: t.__name__,
)
ODD_STRINGS = st.sampled_from([
    "", "0", "-1", "1e999999999", "-1e-999999999", "NaN", "Infinity", "0x", "0x" + "f" * 64,
    "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00Z",
    "2026-12-05T06:00:00Z", "2026-12-05", "PSTR", "a.b.*", "\x00", "\ud7ff" * 3,
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20), ODD_STRINGS,
)
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=8), inner, max_size=4), max_leaves=12,
)
FUZZ = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decodes_or_rejects(model: type[BaseModel], data: bytes | str | dict[str, Any]) -> None:
    try:
        if isinstance(data, dict):
            model.model_validate(data)
        else:
            model.model_validate_json(data)
    except ValidationError:
        pass


def keyed(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys are the model's fields (some left out), each value anything."""
    names = list(model.model_fields)
    return st.fixed_dictionaries({}, optional={n: JSON for n in names})


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@FUZZ
@given(data=st.binary(max_size=64) | JSON.map(json.dumps))
def test_decode__arbitrary_bytes_or_json__validation_error_or_a_model(
    model: type[BaseModel], data: bytes | str
) -> None:
    decodes_or_rejects(model, data)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@FUZZ
@given(data=st.data())
def test_decode__the_models_keys_with_odd_values__validation_error_or_a_model(
    model: type[BaseModel], data: st.DataObject
) -> None:
    obj = data.draw(keyed(model))
    decodes_or_rejects(model, obj)
    decodes_or_rejects(model, json.dumps(obj))


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_decode__an_instant_past_the_calendar_in_utc__validation_error(instant: str) -> None:
    """Found by the fuzz: converting to UTC overflowed (an OverflowError, not a rejection)."""
    with pytest.raises(ValidationError):
        messages.Heartbeat.model_validate({"started_at": instant})
