"""The rules file's format: a mapping (YAML parsed by adapters/rules_file.py) validated by
pydantic models (`RulesFile`, `RuleSpec`) -> `RulesConfig` (config.py). An error names the rule
and the reason; numbers stay exact (YAML floats go through their shortest repr)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, cast

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError

from ballast.alerts.domain.config import (
    Condition,
    Grouping,
    Kind,
    Op,
    Rule,
    RulesConfig,
    RulesError,
    Value,
    payload_pattern,
)
from ballast.alerts.domain.text import template_errors
from ballast.common.messages import Severity

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


Duration = Annotated[timedelta, PlainValidator(parse_duration)]
Number = Annotated[Decimal, PlainValidator(_number)]
AnyValue = Annotated[Value, PlainValidator(parse_value)]


class ConditionSpec(BaseModel):
    """One `where` condition of a rule."""

    model_config = ConfigDict(frozen=True, coerce_numbers_to_str=True)
    field: str
    op: Op
    value: AnyValue


class RuleSpec(BaseModel):
    """One rule as the file writes it (durations as `5m`, numbers exact, no unknown key)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
    name: str
    subject: str
    severity: Severity
    summary: str | None = None
    kind: Kind = Kind.THRESHOLD
    field: str | None = None
    op: Op = Op.EQ
    threshold: AnyValue = True
    threshold_field: str | None = None
    threshold_factor: Number = Decimal(1)
    clear: Number | None = None
    renotify_step: Number | None = None
    where: tuple[ConditionSpec, ...] = ()
    labels: dict[str, str] = Field(default_factory=dict[str, str])
    annotations: dict[str, str] = Field(default_factory=dict[str, str])
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

    def rule(self) -> Rule:
        values = self.model_dump(exclude={"where", "labels", "annotations", "summary"})
        return Rule(
            **values,
            summary=self.name if self.summary is None else self.summary,
            where=tuple(Condition(c.field, c.op, c.value) for c in self.where),
            labels=tuple(self.labels.items()),
            annotations=tuple(self.annotations.items()),
        )


class DefaultsSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    group_wait: Duration = timedelta(seconds=5)
    group_interval: Duration = timedelta(seconds=30)
    repeat_interval: Duration = timedelta(hours=4)


class RulesFile(BaseModel):
    """The whole file: `defaults` (grouping, repeat_interval) and `rules`, one by one (an error
    names its rule)."""

    defaults: DefaultsSpec = Field(default_factory=DefaultsSpec)
    rules: list[dict[str, Any]] = Field(default_factory=list[dict[str, Any]])


def _reason(err: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in err.errors()
    )


def parse_rule(raw: Mapping[str, object]) -> Rule:
    name = str(raw.get("name", "?"))
    unknown = set(raw) - set(RuleSpec.model_fields)
    if unknown:
        raise RulesError(f"rule {name}: unknown keys {sorted(unknown)}")
    try:
        payload_pattern(str(raw.get("subject")))
        rule = RuleSpec.model_validate(raw).rule()
    except RulesError as err:
        raise RulesError(f"rule {name}: {err}") from None
    except ValidationError as err:
        raise RulesError(f"rule {name}: {_reason(err)}") from None
    _check(rule)
    return rule


def _check(rule: Rule) -> None:
    needs_field = {Kind.THRESHOLD, Kind.CHANGE, Kind.TRANSITION}
    if rule.kind in needs_field and not rule.field:
        raise RulesError(f"rule {rule.name}: kind {rule.kind} needs `field`")
    if rule.kind in {Kind.CHANGE, Kind.COUNT} and rule.window is None:
        raise RulesError(f"rule {rule.name}: kind {rule.kind} needs `window`")
    if rule.kind is Kind.TRANSITION and not rule.order:
        raise RulesError(f"rule {rule.name}: kind transition needs `order`")
    if rule.kind is Kind.ABSENCE and not (rule.interval_field or rule.window):
        raise RulesError(f"rule {rule.name}: kind absence needs `interval_field` or `window`")
    for what, template in (("summary", rule.summary), ("description", rule.description)):
        errors = template_errors(template)
        if errors:
            raise RulesError(f"rule {rule.name}: {what}: {'; '.join(errors)}")


def parse_rules(raw: Mapping[str, object]) -> RulesConfig:
    """The whole file (`RulesFile`): `defaults` and `rules`."""
    try:
        spec = RulesFile.model_validate(raw)
    except ValidationError as err:
        raise RulesError(_reason(err)) from None
    rules = tuple(parse_rule(r) for r in spec.rules)
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RulesError(f"duplicate rule names: {duplicates}")
    d = spec.defaults
    return RulesConfig(rules=rules, grouping=Grouping(d.group_wait, d.group_interval),
                       repeat_interval=d.repeat_interval)
