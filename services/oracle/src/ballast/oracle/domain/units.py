"""Exact conversions from on-the-wire integers to Decimal prices.

Why: the bus contract forbids float for amounts (DESIGN.md "The bus"). Pyth values are
`int × 10^expo` and on-chain feeds are fixed-point integers (REFERENCE.md "Pyth", "Chainlink",
"Switchboard"); `Decimal.scaleb` moves the decimal point without rounding.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


class BadValue(ValueError):
    """A source sent something that is not a number we can use."""


def scaled(mantissa: int | str, exponent: int) -> Decimal:
    """`mantissa × 10^exponent`, exactly. Strings are Pyth's wire format ("6140993501000")."""
    if isinstance(mantissa, str):
        if not mantissa.lstrip("-").isdigit():
            raise BadValue(f"not an integer string: {mantissa[:40]!r}")
        mantissa = int(mantissa)
    return Decimal(mantissa).scaleb(exponent)


def fixed(value: int, decimals: int) -> Decimal:
    """A fixed-point integer with `decimals` decimals (Chainlink answer, 18-decimal Switchboard)."""
    if decimals < 0 or decimals > 77:
        raise BadValue(f"implausible decimals: {decimals}")
    return Decimal(value).scaleb(-decimals)


def parse_decimal(text: object) -> Decimal:
    """A finite decimal from a JSON string, int or Decimal (JSON parsed with
    `parse_float=Decimal`); never a float: floats are not exact."""
    if isinstance(text, Decimal):
        if not text.is_finite():
            raise BadValue(f"not finite: {text!r}")
        return text
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise BadValue(f"expected a decimal string, got {type(text).__name__}")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadValue(f"not a decimal: {str(text)[:40]!r}") from None
    if not value.is_finite():
        raise BadValue(f"not finite: {text!r}")
    return value
