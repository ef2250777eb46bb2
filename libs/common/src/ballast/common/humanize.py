"""Numbers and times as a person reads them: pages, the live terminal view, `ballast status`.

Machine fields on the bus stay exact decimals (DESIGN.md "The bus"); only text meant for people
goes through here, so a price reads `$0.83958`, not `0.839583333333051025684...`. One module, so
every surface writes a percentage, a dollar amount or a duration the same way.

Pure: Decimal (or int) in, str out. Rounding is half-up (what a reader expects), never float.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Number = Decimal | int

PRICE_DIGITS = 5
"""Significant digits of a price (the issue asks for 4-6): enough to see a 0.01% move."""


def _dec(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, got {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    return Decimal(value)


def _fixed(value: Decimal, places: int, *, separators: bool = True) -> str:
    """Rounded half-up to `places` decimals, with thousands separators; never `-0.00`."""
    quantum = Decimal(1).scaleb(-places)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = abs(rounded)
    return format(rounded, f"{',' if separators else ''}.{places}f")


def _trim(text: str) -> str:
    """`12.3400` -> `12.34`, `100.000` -> `100`."""
    if "." not in text:
        return text
    return text.rstrip("0").rstrip(".")


def significant(value: Number, digits: int = PRICE_DIGITS) -> str:
    """`digits` significant digits, separators, trailing zeros kept out; the integer part of a
    large number is never rounded away (`123,457`, not `123,460`)."""
    number = _dec(value)
    if number.is_zero():
        return "0"
    places = max(0, digits - 1 - number.adjusted())
    return _trim(_fixed(number, places))


def number(value: Number, places: int = 2) -> str:
    """A plain quantity: separators, at most `places` decimals (`1,234.5`)."""
    return _trim(_fixed(_dec(value), places))


def count(value: Number) -> str:
    """A whole count with separators (`12,408`)."""
    return _fixed(_dec(value), 0)


def percent(fraction: Number, places: int = 1) -> str:
    """A fraction as a percentage: `0.2323242` -> `23.2%`. Small non-zero values keep two
    significant digits so they do not read as zero (`0.00042` -> `0.042%`)."""
    value = _dec(fraction) * 100
    if not value.is_zero() and abs(value) < Decimal(1).scaleb(-places):
        return significant(value, 2) + "%"
    return _fixed(value, places) + "%"


def usd(amount: Number) -> str:
    """Dollars with separators and cents: `48000` -> `$48,000.00`, `-12.5` -> `-$12.50`."""
    value = _dec(amount)
    text = _fixed(abs(value), 2)
    return ("-$" if value < 0 and text != "0.00" else "$") + text


def price(value: Number, digits: int = PRICE_DIGITS) -> str:
    """A USD price per unit with `digits` significant digits: `$0.83958`, `$1,234.6`."""
    number_ = _dec(value)
    text = significant(abs(number_), digits)
    return ("-$" if number_ < 0 else "$") + text


def multiple(value: Number, places: int = 2) -> str:
    """A ratio read as "times" (the reserve ratio): `2.4137` -> `2.41x`."""
    return _fixed(_dec(value), places) + "x"


def token(amount: Number, symbol: str) -> str:
    """A token amount with its symbol: two decimals from 1,000 up, else four significant
    digits at least (`57,142.86 PUMP`, `12.5 PUMP`, `0.0004213 PSTR`)."""
    value = _dec(amount)
    if abs(value) >= 1000:
        text = _fixed(value, 2)
    elif abs(value) >= 1:
        text = _trim(_fixed(value, 4))
    else:
        text = significant(value, 4)
    return f"{text} {symbol}"


def base_units(raw: int, decimals: int, symbol: str) -> str:
    """An integer amount in a token's smallest unit (wei-like) with its symbol."""
    return token(Decimal(raw).scaleb(-decimals), symbol)


_UNITS = ((86400, "d"), (3600, "h"), (60, "min"), (1, "s"))


def duration(value: timedelta | Number) -> str:
    """A duration in words, the two largest units: `45 s`, `12 min`, `2 h 5 min`, `3 d 4 h`.

    Seconds are only shown under ten minutes; sub-second durations read `under 1 s`.
    """
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(_dec(value))
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {seconds}")
    total = int(seconds + 0.5)  # a duration is an interval of time: float is its natural unit
    if total < 1:
        return "under 1 s"
    index = next(i for i, (size, _) in enumerate(_UNITS) if total >= size)
    size, unit = _UNITS[index]
    head, rest = divmod(total, size)
    text = f"{head} {unit}"
    if index + 1 < len(_UNITS):
        next_size, next_unit = _UNITS[index + 1]
        tail = rest // next_size
        if tail and not (next_unit == "s" and total >= 600):
            text += f" {tail} {next_unit}"
    return text


def parse_decimal(text: str) -> Decimal | None:
    """A decimal string from a payload, or None when it is not one (text meant for people
    should show such a value as it is, not fail)."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return value if value.is_finite() else None
