"""ballast.common.humanize: the text people read, from exact decimals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ballast.common import humanize as h


@pytest.mark.parametrize(("fraction", "text"), [
    (Decimal("0.2323242422466571204089801184"), "23.2%"),
    (Decimal("0.05"), "5.0%"),
    (Decimal("-0.0512"), "-5.1%"),
    (Decimal("0.00042"), "0.042%"),
    (Decimal("0"), "0.0%"),
    (Decimal("1.5"), "150.0%"),
])
def test_percent__fraction__one_decimal_percent(fraction: Decimal, text: str) -> None:
    assert h.percent(fraction) == text


@pytest.mark.parametrize(("amount", "text"), [
    (Decimal("48000"), "$48,000.00"),
    (Decimal("1234567.891"), "$1,234,567.89"),
    (Decimal("0.005"), "$0.01"),
    (Decimal("-12.5"), "-$12.50"),
    (Decimal("-0.001"), "$0.00"),
    (7, "$7.00"),
])
def test_usd__amount__separators_and_cents(amount: Decimal | int, text: str) -> None:
    assert h.usd(amount) == text


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("0.839583333333051025684"), "$0.83958"),
    (Decimal("1.0"), "$1"),
    (Decimal("1234.5678"), "$1,234.6"),
    (Decimal("123456.78"), "$123,457"),
    (Decimal("0.000012345678"), "$0.000012346"),
])
def test_price__long_decimal__five_significant_digits(value: Decimal, text: str) -> None:
    assert h.price(value) == text


@pytest.mark.parametrize(("amount", "symbol", "text"), [
    (Decimal("57142.857142857"), "PUMP", "57,142.86 PUMP"),
    (Decimal("12.5"), "PUMP", "12.5 PUMP"),
    (Decimal("0.000421337"), "PSTR", "0.0004213 PSTR"),
    (Decimal("0"), "PSTR", "0 PSTR"),
])
def test_token__amount__readable_with_symbol(amount: Decimal, symbol: str, text: str) -> None:
    assert h.token(amount, symbol) == text


def test_base_units__wei__token_units() -> None:
    assert h.base_units(57_142_857_142_857_142_857_142, 18, "PUMP") == "57,142.86 PUMP"


@pytest.mark.parametrize(("value", "text"), [
    (timedelta(seconds=0.2), "under 1 s"),
    (timedelta(seconds=45), "45 s"),
    (timedelta(seconds=125), "2 min 5 s"),
    (timedelta(minutes=12, seconds=30), "12 min"),
    (timedelta(hours=2, minutes=5, seconds=9), "2 h 5 min"),
    (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
    (timedelta(days=1, minutes=5), "1 d"),
    (Decimal(3600), "1 h"),
])
def test_duration__interval__two_largest_units_in_words(
    value: timedelta | Decimal, text: str
) -> None:
    assert h.duration(value) == text


def test_duration__negative__rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        h.duration(timedelta(seconds=-1))


def test_multiple__reserve_ratio__two_decimals_and_x() -> None:
    assert h.multiple(Decimal("2.41372")) == "2.41x"


def test_significant__zero_and_count__plain() -> None:
    assert (h.significant(Decimal(0)), h.count(Decimal("12408")), h.number(Decimal("1234.50"))) \
        == ("0", "12,408", "1,234.5")


def test_formatters__float__rejected() -> None:
    with pytest.raises(TypeError, match="float"):
        h.usd(1.5)  # type: ignore[arg-type]


def test_parse_decimal__text__decimal_or_none() -> None:
    assert h.parse_decimal("0.25") == Decimal("0.25")
    assert h.parse_decimal("dry_run") is None
    assert h.parse_decimal("NaN") is None
