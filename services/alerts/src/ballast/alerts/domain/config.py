"""Rules are data: the rules file (spec.py parses it) -> `RulesConfig`.

Each rule names a subject pattern of ballast.common.subjects, a field path into that subject's
payload model, a comparison and a threshold, a severity and the label fields that make its key.
Thresholds default to the seeds' numbers (PSTR "Monitoring & Alerting", "Risk Management
Settings"; REFERENCE.md for the Core DAO slash thresholds); the file overrides any of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, cast

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainValidator, model_validator

from ballast.common.messages import Severity
from ballast.common.subjects import PAYLOADS, subject_matches

Value = Decimal | str | bool | tuple[str, ...]


class Kind(StrEnum):
    """How a rule turns facts into an active/inactive observation."""

    THRESHOLD = "threshold"  # the field of the latest fact compared with a threshold
    CHANGE = "change"  # relative change of the field against its peak over `window`
    COUNT = "count"  # number of facts over `window` compared with a threshold
    ABSENCE = "absence"  # no fact for `missing_factor` x the fact's own interval
    TRANSITION = "transition"  # the field moved up the `order` list since the previous fact
    WATCHDOG = "watchdog"  # always firing; re-notified only when a fresh fact went through


class Op(StrEnum):
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    EQ = "eq"
    NE = "ne"
    IN = "in"
    CONTAINS = "contains"


LOWER_IS_WORSE = frozenset({Op.LT, Op.LE})
HIGHER_IS_WORSE = frozenset({Op.GT, Op.GE})


class RulesError(ValueError):
    """A rules file that cannot be used: names the rule and the reason."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(raw: object) -> timedelta:
    """`30s`, `5m`, `1h`, `2d`, `250ms`, or a number of seconds."""
    if isinstance(raw, bool):
        raise RulesError(f"not a duration: {raw!r}")
    if isinstance(raw, int | float):
        return timedelta(seconds=float(raw))
    match = _DURATION.match(str(raw))
    if not match:
        raise RulesError(f"not a duration: {raw!r}")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def parse_value(raw: object) -> Value:
    """Numbers become exact Decimals (YAML floats go through their shortest repr)."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float | Decimal):
        return Decimal(str(raw))
    if isinstance(raw, list | tuple):
        return tuple(str(v) for v in cast(Sequence[object], raw))
    text = str(raw)
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def _number(raw: object) -> Decimal:
    value = parse_value(raw)
    if not isinstance(value, Decimal):
        raise RulesError(f"must be a number, got {raw!r}")
    return value




def _pairs(raw: object) -> object:
    """`{name: path}` in the file -> ((name, path), ...) in file order."""
    if isinstance(raw, Mapping):
        return tuple((str(k), str(v)) for k, v in cast(Mapping[object, object], raw).items())
    return raw


Duration = Annotated[timedelta, PlainValidator(parse_duration)]
Number = Annotated[Decimal, PlainValidator(_number)]
AnyValue = Annotated[Value, PlainValidator(parse_value)]
Pairs = Annotated[tuple[tuple[str, str], ...], BeforeValidator(_pairs)]


class Condition(BaseModel):
    """One `where` condition of a rule."""

    model_config = ConfigDict(frozen=True, coerce_numbers_to_str=True)
    field: str
    op: Op
    value: AnyValue


class Rule(BaseModel):
    """One rule, as the file writes it (spec.py parses the file): durations as `5m`, numbers
    exact, no unknown key; `summary` defaults to the name."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
    name: str
    subject: str
    severity: Severity
    summary: str = ""
    kind: Kind = Kind.THRESHOLD
    field: str | None = None
    op: Op = Op.EQ
    threshold: AnyValue = True
    threshold_field: str | None = None
    threshold_factor: Number = Decimal(1)
    clear: Number | None = None
    clear_margin: Number | None = None
    renotify_step: Number | None = None
    where: tuple[Condition, ...] = ()
    labels: Pairs = ()
    annotations: Pairs = ()
    for_each: str | None = None
    family: str | None = None
    description: str = ""
    route: str | None = None
    window: Duration | None = None
    missing_factor: Number = Decimal(3)
    interval_field: str | None = None
    order: tuple[str, ...] = ()
    resolve_after: Duration | None = None
    send_resolved: bool = True
    repeat_interval: Duration | None = None
    escalate_after: Duration | None = None
    escalate_to: Severity = Severity.CRITICAL
    group_by: tuple[str, ...] = ()
    runbook_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _summary_is_the_name(cls, data: object) -> object:
        if not isinstance(data, Mapping):
            return data
        values = cast(Mapping[str, object], data)
        if values.get("summary") is None and "name" in values:
            return {**values, "summary": values["name"]}
        return values

    @model_validator(mode="after")
    def _one_clear(self) -> Rule:
        if self.clear is not None and self.clear_margin is not None:
            raise ValueError("clear and clear_margin: give one (a fixed value, or a margin past "
                             "the threshold)")
        if self.clear_margin is not None and self.op not in LOWER_IS_WORSE | HIGHER_IS_WORSE:
            raise ValueError(f"clear_margin needs op lt, le, gt or ge, not {self.op.value}")
        return self

    @property
    def route_name(self) -> str:
        return self.route or self.severity.value

    def clear_at(self, threshold: Value) -> Value:
        """Where a firing alert resolves: `clear`, else `clear_margin` back past the threshold
        (above it for lt/le, below it for gt/ge), else the threshold itself."""
        if self.clear is not None:
            return self.clear
        margin = self.clear_margin
        if margin is None or not isinstance(threshold, Decimal):
            return threshold
        return threshold + margin if self.op in LOWER_IS_WORSE else threshold - margin

    def worse_by_step(self, last: Value | None, value: Value | None) -> bool:
        """Has `value` moved at least `renotify_step` the bad way from `last` (the value last
        notified)? Only numbers, and only a rule that says which way is worse."""
        step = self.renotify_step
        if step is None or not isinstance(value, Decimal) or not isinstance(last, Decimal):
            return False
        if self.op in LOWER_IS_WORSE:
            return last - value >= step
        if self.op in HIGHER_IS_WORSE:
            return value - last >= step
        return False


@dataclass(frozen=True)
class Grouping:
    """Alertmanager's group_wait / group_interval. Zero and zero turn grouping off."""

    group_wait: timedelta = timedelta(seconds=5)
    group_interval: timedelta = timedelta(seconds=30)

    @property
    def enabled(self) -> bool:
        return self.group_wait > timedelta(0) or self.group_interval > timedelta(0)


@dataclass(frozen=True)
class RulesConfig:
    rules: tuple[Rule, ...]
    grouping: Grouping = field(default_factory=Grouping)
    repeat_interval: timedelta = timedelta(hours=4)

    def by_name(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)

    def subjects(self) -> set[str]:
        """The payload patterns (keys of subjects.PAYLOADS) that the rules read."""
        return {payload_pattern(rule.subject) for rule in self.rules}


def payload_pattern(subject: str) -> str:
    """The subjects.PAYLOADS pattern that covers a rule's subject (exact key or a match)."""
    if subject in PAYLOADS:
        return subject
    concrete = subject.replace(">", "x").replace("*", "x")
    for pattern in PAYLOADS:
        if subject_matches(pattern, concrete):
            return pattern
    raise RulesError(f"subject {subject!r} is not in ballast.common.subjects.PAYLOADS")
