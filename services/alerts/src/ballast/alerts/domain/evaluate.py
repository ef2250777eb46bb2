"""Rules over facts: a fact (or the passing of time) in, observations out.

The evaluator keeps only what a rule kind needs to remember: the previous value (transition),
the values inside a window (change), the arrival times inside a window (count), the deadline of
the next expected fact (absence), and which label sets a `for_each` rule saw last time (so an
item that disappears resolves).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import cast

from ballast.alerts.domain.config import Kind, Op, Rule, RulesConfig, Value
from ballast.alerts.domain.model import Observation, alert_key
from ballast.alerts.domain.text import Scalar, render
from ballast.common.subjects import subject_matches

ITEM = "item."


def resolve(obj: object, path: str) -> object:
    """Follow a dotted path through models and mappings; None when any step is missing."""
    current: object = obj
    for part in path.split("."):
        if current is None:
            return None
        if isinstance(current, Mapping):
            current = cast(Mapping[str, object], current).get(part)
        else:
            current = getattr(current, part, None)
    return current


def normalize(value: object) -> Scalar:
    if value is None or isinstance(value, bool | Decimal | str):
        return value
    if isinstance(value, Enum):
        return str(cast(object, value.value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, list | tuple):
        return tuple(str(normalize(v)) for v in cast(Sequence[object], value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def compare(actual: Scalar, op: Op, expected: Value) -> bool:
    if actual is None:
        return False
    if op in (Op.LT, Op.LE, Op.GT, Op.GE):
        if not isinstance(actual, Decimal) or not isinstance(expected, Decimal):
            return False
        return {
            Op.LT: actual < expected,
            Op.LE: actual <= expected,
            Op.GT: actual > expected,
            Op.GE: actual >= expected,
        }[op]
    if op in (Op.EQ, Op.NE):
        equal = _equal(actual, expected)
        return equal if op is Op.EQ else not equal
    if op is Op.IN:
        options = expected if isinstance(expected, tuple) else (str(expected),)
        return _text(actual) in options
    # CONTAINS: a list field holds the expected value
    items = actual if isinstance(actual, tuple) else (_text(actual),)
    return _text(expected) in items


def _equal(actual: Scalar, expected: Value) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, Decimal) and isinstance(actual, Decimal):
        return actual == expected
    return _text(actual) == _text(expected)


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


@dataclass(frozen=True)
class _Context:
    fact: object
    item: object = None

    def get(self, path: str) -> Scalar:
        if path.startswith(ITEM):
            return normalize(resolve(self.item, path[len(ITEM) :]))
        return normalize(resolve(self.fact, path))


class Evaluator:
    """Turns facts into observations, rule by rule. Pure apart from its own memory."""

    def __init__(self, config: RulesConfig) -> None:
        self.config = config
        self._previous: dict[str, Scalar] = {}
        self._series: dict[str, deque[tuple[datetime, Decimal]]] = {}
        self._arrivals: dict[str, tuple[dict[str, str], deque[datetime]]] = {}
        self._deadlines: dict[str, tuple[dict[str, str], datetime, datetime]] = {}
        self._scopes: dict[str, dict[str, dict[str, str]]] = {}

    def reload(self, config: RulesConfig) -> None:
        self.config = config

    # ------------------------------------------------------------------ facts
    def on_fact(self, subject: str, fact: object, now: datetime) -> list[Observation]:
        found: list[Observation] = []
        for rule in self.config.rules:
            if subject_matches(rule.subject, subject):
                found.extend(self._evaluate(rule, fact, now))
        return found

    def _evaluate(self, rule: Rule, fact: object, now: datetime) -> list[Observation]:
        if rule.for_each is None:
            observation = self._one(rule, _Context(fact), now)
            return [] if observation is None else [observation]
        items = resolve(fact, rule.for_each)
        contexts = [_Context(fact, item) for item in cast(Sequence[object], items or [])]
        scope_labels = {
            name: _text(_Context(fact).get(path))
            for name, path in rule.labels
            if not path.startswith(ITEM)
        }
        scope = alert_key(rule.name, scope_labels)
        found = [o for o in (self._one(rule, c, now) for c in contexts) if o is not None]
        seen = {o.key: dict(o.labels) for o in found}
        for gone, labels in self._scopes.get(scope, {}).items():
            if gone not in seen:
                found.append(Observation(rule.name, labels, False, True, None, "", now))
        self._scopes[scope] = seen
        return found

    def _one(self, rule: Rule, ctx: _Context, now: datetime) -> Observation | None:
        labels = {name: _text(ctx.get(path)) for name, path in rule.labels}
        shown: dict[str, Scalar] = {name: ctx.get(path) for name, path in rule.annotations}
        shown |= labels
        where_ok = all(compare(ctx.get(c.field), c.op, c.value) for c in rule.where)
        key = alert_key(rule.name, labels)
        if rule.kind is Kind.THRESHOLD:
            return self._threshold(rule, ctx, labels, shown, where_ok, now)
        if not where_ok:
            return None
        if rule.kind is Kind.WATCHDOG:
            summary, details = _say(rule, shown, None, None)
            return Observation(rule.name, labels, True, False, None, summary, now, details)
        if rule.kind is Kind.ABSENCE:
            interval = _seconds(ctx.get(rule.interval_field) if rule.interval_field else None)
            wait = rule.window or timedelta(seconds=float(interval * rule.missing_factor))
            self._deadlines[key] = (labels, now, now + wait)
            return Observation(rule.name, labels, False, True, None, "", now)
        if rule.kind is Kind.COUNT:
            stored = self._arrivals.setdefault(key, (labels, deque()))
            stored[1].append(now)
            return self._count(rule, labels, stored[1], now)
        value = ctx.get(rule.field or "")
        if rule.kind is Kind.TRANSITION:
            previous = self._previous.get(key)
            self._previous[key] = value
            active = _rank(rule, value) > _rank(rule, previous) >= 0
            summary, details = _say(rule, shown, value, previous)
            kept = None if value is None else _text(value)
            return Observation(rule.name, labels, active, not active, kept, summary, now, details)
        return self._change(rule, (labels, shown), key, value, now)

    def _threshold(
        self,
        rule: Rule,
        ctx: _Context,
        labels: dict[str, str],
        shown: dict[str, Scalar],
        where_ok: bool,
        now: datetime,
    ) -> Observation | None:
        value = ctx.get(rule.field or "")
        if value is None:
            return None  # no reading is not a recovery: keep the alert as it is
        threshold: Value = rule.threshold
        if rule.threshold_field is not None:
            limit = ctx.get(rule.threshold_field)
            if not isinstance(limit, Decimal) or limit <= 0:
                return None
            threshold = limit * rule.threshold_factor
        active = where_ok and compare(value, rule.op, threshold)
        cleared = not where_ok or not compare(value, rule.op, rule.clear_at(threshold))
        kept: Decimal | str = value if isinstance(value, Decimal | str) else _text(value)
        summary, details = _say(rule, shown, value, threshold)
        return Observation(rule.name, labels, active, cleared, kept, summary, now, details)

    def _change(
        self,
        rule: Rule,
        said: tuple[dict[str, str], dict[str, Scalar]],
        key: str,
        value: Scalar,
        now: datetime,
    ) -> Observation | None:
        labels, shown = said
        if not isinstance(value, Decimal):
            return None
        series = self._series.setdefault(key, deque())
        series.append((now, value))
        window = rule.window or timedelta(hours=1)
        while series and series[0][0] < now - window:
            series.popleft()
        peak = max(v for _, v in series)
        if peak <= 0:
            return None
        return _crossing(rule, labels, shown, (value - peak) / peak, now)

    def _count(
        self, rule: Rule, labels: dict[str, str], arrivals: deque[datetime], now: datetime
    ) -> Observation:
        window = rule.window or timedelta(minutes=5)
        while arrivals and arrivals[0] <= now - window:
            arrivals.popleft()
        return _crossing(rule, labels, labels, Decimal(len(arrivals)), now)

    def expect(
        self, rule_name: str, labels: Mapping[str, str], now: datetime, within: timedelta
    ) -> None:
        """Wait for a fact never seen yet (a service that must send heartbeats): an absence
        rule fires for it after `within` unless one arrives. Known label sets are left alone."""
        key = alert_key(rule_name, labels)
        if key not in self._deadlines:
            self._deadlines[key] = (dict(labels), now, now + within)

    # ------------------------------------------------------------------ time
    def on_tick(self, now: datetime) -> list[Observation]:
        """What the passing of time alone decides: missing facts, windows emptying."""
        found: list[Observation] = []
        names = {rule.name: rule for rule in self.config.rules}
        for key, (labels, last, deadline) in list(self._deadlines.items()):
            rule = names.get(_rule_of(key))
            if rule is None:
                del self._deadlines[key]
                continue
            if now > deadline:
                silent = Decimal(int((now - last).total_seconds()))
                summary, details = _say(rule, labels, silent, None)
                found.append(
                    Observation(rule.name, labels, True, False, silent, summary, now, details)
                )
        for key, (labels, arrivals) in list(self._arrivals.items()):
            rule = names.get(_rule_of(key))
            if rule is None:
                del self._arrivals[key]
                continue
            found.append(self._count(rule, labels, arrivals, now))
            if not arrivals:
                del self._arrivals[key]
        return found


def _crossing(
    rule: Rule, labels: dict[str, str], shown: Mapping[str, Scalar], value: Decimal, now: datetime
) -> Observation:
    """Active past the threshold; cleared only back past `clear` (the threshold without one)."""
    active = compare(value, rule.op, rule.threshold)
    cleared = not compare(value, rule.op, rule.clear_at(rule.threshold))
    summary, details = _say(rule, shown, value, rule.threshold)
    return Observation(rule.name, labels, active, cleared, value, summary, now, details)


def _say(
    rule: Rule, values: Mapping[str, Scalar], value: Scalar, threshold: Scalar
) -> tuple[str, str]:
    """The rule's summary and description over this fact."""
    return (
        render(rule.summary, values, value, threshold),
        render(rule.description, values, value, threshold),
    )


def _rank(rule: Rule, value: Scalar) -> int:
    text = None if value is None else _text(value)
    return rule.order.index(text) if text in rule.order else -1


def _seconds(value: Scalar) -> Decimal:
    return value if isinstance(value, Decimal) and value > 0 else Decimal(60)


def _rule_of(key: str) -> str:
    return key.split("{", 1)[0]

