"""Rules are data: a mapping (parsed from `rules.default.yaml` by an adapter) -> `RulesConfig`.

Each rule names a subject pattern of ballast.common.subjects, a field path into that subject's
payload model, a comparison and a threshold, a severity and the label fields that make its key.
Thresholds default to the seeds' numbers (PSTR "Monitoring & Alerting", "Risk Management
Settings"; REFERENCE.md for the Core DAO slash thresholds); the file overrides any of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import cast

from ballast.alerts.domain.text import template_errors
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


@dataclass(frozen=True)
class Condition:
    field: str
    op: Op
    value: Value


@dataclass(frozen=True)
class Rule:
    name: str
    subject: str
    severity: Severity
    summary: str
    kind: Kind = Kind.THRESHOLD
    field: str | None = None
    op: Op = Op.EQ
    threshold: Value = True
    threshold_field: str | None = None
    threshold_factor: Decimal = Decimal(1)
    clear: Decimal | None = None
    renotify_step: Decimal | None = None
    where: tuple[Condition, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    for_each: str | None = None
    family: str | None = None
    description: str = ""
    route: str | None = None
    window: timedelta | None = None
    missing_factor: Decimal = Decimal(3)
    interval_field: str | None = None
    order: tuple[str, ...] = ()
    resolve_after: timedelta | None = None
    send_resolved: bool = True
    repeat_interval: timedelta | None = None
    escalate_after: timedelta | None = None
    escalate_to: Severity = Severity.CRITICAL
    group_by: tuple[str, ...] = ()
    runbook_url: str | None = None

    @property
    def route_name(self) -> str:
        return self.route or self.severity.value


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


def _decimal(raw: object, what: str) -> Decimal:
    value = parse_value(raw)
    if not isinstance(value, Decimal):
        raise RulesError(f"{what} must be a number, got {raw!r}")
    return value


def payload_pattern(subject: str) -> str:
    """The subjects.PAYLOADS pattern that covers a rule's subject (exact key or a match)."""
    if subject in PAYLOADS:
        return subject
    concrete = subject.replace(">", "x").replace("*", "x")
    for pattern in PAYLOADS:
        if subject_matches(pattern, concrete):
            return pattern
    raise RulesError(f"subject {subject!r} is not in ballast.common.subjects.PAYLOADS")


_RULE_KEYS = {f.name for f in fields(Rule)}


def parse_rule(raw: Mapping[str, object]) -> Rule:  # noqa: C901 - one branch per optional key
    name = str(raw.get("name", "?"))
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise RulesError(f"rule {name}: unknown keys {sorted(unknown)}")
    try:
        kwargs: dict[str, object] = {
            "name": name,
            "subject": str(raw["subject"]),
            "severity": Severity(str(raw["severity"])),
            "summary": str(raw.get("summary", name)),
        }
        payload_pattern(str(raw["subject"]))
        for key in ("field", "threshold_field", "for_each", "family", "route", "interval_field",
                    "runbook_url"):
            if raw.get(key) is not None:
                kwargs[key] = str(raw[key])
        if "description" in raw:
            kwargs["description"] = str(raw["description"])
        if "kind" in raw:
            kwargs["kind"] = Kind(str(raw["kind"]))
        if "op" in raw:
            kwargs["op"] = Op(str(raw["op"]))
        if "threshold" in raw:
            kwargs["threshold"] = parse_value(raw["threshold"])
        for key in ("threshold_factor", "missing_factor"):
            if key in raw:
                kwargs[key] = _decimal(raw[key], key)
        for key in ("clear", "renotify_step"):
            if raw.get(key) is not None:
                kwargs[key] = _decimal(raw[key], key)
        for key in ("window", "resolve_after", "repeat_interval", "escalate_after"):
            if raw.get(key) is not None:
                kwargs[key] = parse_duration(raw[key])
        if "send_resolved" in raw:
            kwargs["send_resolved"] = bool(raw["send_resolved"])
        if "escalate_to" in raw:
            kwargs["escalate_to"] = Severity(str(raw["escalate_to"]))
        if "order" in raw:
            kwargs["order"] = tuple(str(v) for v in cast(Sequence[object], raw["order"]))
        if "group_by" in raw:
            kwargs["group_by"] = tuple(str(v) for v in cast(Sequence[object], raw["group_by"]))
        for key in ("labels", "annotations"):
            if key in raw:
                pairs = cast(Mapping[str, object], raw[key])
                kwargs[key] = tuple((str(k), str(v)) for k, v in pairs.items())
        if "where" in raw:
            kwargs["where"] = tuple(
                Condition(str(c["field"]), Op(str(c["op"])), parse_value(c["value"]))
                for c in cast(Sequence[Mapping[str, object]], raw["where"])
            )
    except RulesError as err:
        raise RulesError(f"rule {name}: {err}") from None
    except (KeyError, ValueError, TypeError) as err:
        raise RulesError(f"rule {name}: {type(err).__name__}: {err}") from None
    rule = Rule(**kwargs)  # pyright: ignore[reportArgumentType]
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
    """The whole file: `defaults` (grouping, repeat_interval) and `rules`."""
    defaults = cast(Mapping[str, object], raw.get("defaults") or {})
    grouping = Grouping(
        group_wait=parse_duration(defaults.get("group_wait", "5s")),
        group_interval=parse_duration(defaults.get("group_interval", "30s")),
    )
    repeat = parse_duration(defaults.get("repeat_interval", "4h"))
    rules = tuple(parse_rule(r) for r in cast(Sequence[Mapping[str, object]], raw.get("rules", [])))
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RulesError(f"duplicate rule names: {duplicates}")
    return RulesConfig(rules=rules, grouping=grouping, repeat_interval=repeat)
