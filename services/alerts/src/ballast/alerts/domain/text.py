"""The text of an alert: a rule's `summary` and `description` templates over a fact's values.

Templates are `str.format` with the rule's labels, its `annotations` (fact fields), `{value}`
and `{threshold}`. A value is shown for people through ballast.common.humanize, chosen by the
format spec (issue #24: no float noise in a page):

    {value:percent}  23.2%          {amount_usd:usd}     $48,000.00
    {price:price}    $0.83958       {ratio:x}            2.41x
    {wait:duration}  12 min         {amount:token PUMP}  57,142.86 PUMP
    {n:count}        12,408         {mode:hyphen}        dry-run
    {ends:time}      2026-12-08 02:10 UTC
    {round:plain}    20412 (an id or a block number, as it is)
    {value}          a number to six significant digits, or the text as it is

`{a|b}` shows the first of `a`, `b` that the fact has (`{tx_hash|reason}`: the transaction, or
why there is none). A name the fact does not have is left as `{name}`, so a typo shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from string import Formatter

from ballast.common import humanize as h

Scalar = Decimal | str | bool | tuple[str, ...] | None

_NUMBER_FORMATS: dict[str, Callable[[Decimal, str], str]] = {
    "": lambda v, _: h.significant(v, 6),
    "plain": lambda v, _: format(v, "f"),
    "number": lambda v, arg: h.number(v, int(arg or 2)),
    "percent": lambda v, arg: h.percent(v, int(arg or 1)),
    "usd": lambda v, _: h.usd(v),
    "price": lambda v, arg: h.price(v, int(arg or h.PRICE_DIGITS)),
    "x": lambda v, arg: h.multiple(v, int(arg or 2)),
    "duration": lambda v, _: h.duration(v),
    "count": lambda v, _: h.count(v),
    "token": lambda v, arg: h.token(v, arg),
}


class Shown:
    """One value of a fact, formatted by the spec of the placeholder that shows it."""

    __slots__ = ("value",)

    def __init__(self, value: Scalar) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        value = self.value
        kind, _, arg = spec.partition(" ")
        if value is None:
            return "n/a"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, tuple):
            return ", ".join(value) or "none"
        if isinstance(value, Decimal):
            formatter = _NUMBER_FORMATS.get(kind)
            if formatter is None:
                raise ValueError(f"unknown format {spec!r}")
            return formatter(value, arg)
        if kind == "hyphen":
            return value.replace("_", "-")
        if kind == "time":
            return _time(value)
        return value


def _time(value: str) -> str:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return value
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC)
    return f"{instant:%Y-%m-%d %H:%M} UTC"


class _Missing:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __format__(self, spec: str) -> str:
        return "{" + self.name + (":" + spec if spec else "") + "}"


class _Values(dict[str, "Shown | _Missing"]):
    def __missing__(self, key: str) -> Shown | _Missing:
        if "|" in key:
            for name in key.split("|"):
                found = self.get(name.strip())
                if isinstance(found, Shown) and found.value not in (None, ""):
                    return found
        return _Missing(key)


def render(
    template: str, values: Mapping[str, Scalar], value: Scalar, threshold: Scalar
) -> str:
    """The template with every placeholder filled; the template itself if it is malformed."""
    if not template:
        return ""
    shown = _Values({name: Shown(v) for name, v in values.items()})
    shown["value"] = Shown(value)
    shown["threshold"] = Shown(threshold)
    try:
        return template.format_map(shown)
    except (ValueError, IndexError, AttributeError, KeyError, TypeError):
        return template


FORMATS = frozenset(_NUMBER_FORMATS) | {"hyphen", "time"}


def template_errors(template: str) -> list[str]:
    """What is wrong with a template's placeholders (checked when the rules are loaded)."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError as err:
        return [str(err)]
    errors: list[str] = []
    for _, name, spec, _ in parts:
        if name is None:
            continue
        if not name or name.isdigit():
            errors.append("placeholders need a name: {value}, {threshold} or a label/annotation")
        kind = (spec or "").partition(" ")[0]
        if kind not in FORMATS:
            errors.append(f"{{{name}:{spec}}}: unknown format {kind!r}, use one of "
                          f"{', '.join(sorted(k for k in FORMATS if k))}")
    return errors
