"""Schedule periods: epoch-aligned UTC boundaries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ballast.common.schedule import period_start


@pytest.mark.parametrize(("period", "expected"), [
    (3600, datetime(2026, 12, 5, 7, 0, tzinfo=UTC)),
    (86_400, datetime(2026, 12, 5, 0, 0, tzinfo=UTC)),
    (21_600, datetime(2026, 12, 5, 6, 0, tzinfo=UTC)),
    (7200, datetime(2026, 12, 5, 6, 0, tzinfo=UTC)),
    (300, datetime(2026, 12, 5, 7, 40, tzinfo=UTC)),
    (2, datetime(2026, 12, 5, 7, 43, 20, tzinfo=UTC)),
])
def test_period_start__utc_aligned(period: float, expected: datetime) -> None:
    assert period_start(datetime(2026, 12, 5, 7, 43, 21, 500, tzinfo=UTC), period) == expected


def test_period_start__not_positive__error() -> None:
    with pytest.raises(ValueError, match="positive"):
        period_start(datetime(2026, 12, 5, tzinfo=UTC), 0)
