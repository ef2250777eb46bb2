"""Rules are data: the rules file (spec.py parses it) -> `RulesConfig`.

Each rule names a subject pattern of ballast.common.subjects, a field path into that subject's
payload model, a comparison and a threshold, a severity and the label fields that make its key.
Thresholds default to the seeds' numbers (PSTR "Monitoring & Alerting", "Risk Management
Settings"; REFERENCE.md for the Core DAO slash thresholds); the file overrides any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

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


class RulesError(ValueError):
    """A rules file that cannot be used: names the rule and the reason."""


def payload_pattern(subject: str) -> str:
    """The subjects.PAYLOADS pattern that covers a rule's subject (exact key or a match)."""
    if subject in PAYLOADS:
        return subject
    concrete = subject.replace(">", "x").replace("*", "x")
    for pattern in PAYLOADS:
        if subject_matches(pattern, concrete):
            return pattern
    raise RulesError(f"subject {subject!r} is not in ballast.common.subjects.PAYLOADS")
