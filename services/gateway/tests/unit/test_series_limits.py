"""Durations and windows past the calendar are refused (400), not an OverflowError (500)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ballast.gateway.domain.series import QueryError, parse_duration, window


@pytest.mark.parametrize("text", ["99999999d", "999999999999999999999s", "3661d"])
def test_parse_duration__past_ten_years__query_error(text: str) -> None:
    with pytest.raises(QueryError):
        parse_duration(text)


def test_window__to_at_the_start_of_the_calendar__query_error() -> None:
    with pytest.raises(QueryError):
        window(None, datetime(1, 1, 1, tzinfo=UTC), None, datetime(2026, 12, 5, tzinfo=UTC), 100)
