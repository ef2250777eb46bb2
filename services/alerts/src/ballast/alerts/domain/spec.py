"""The rules file's format: a mapping (YAML read by adapters/rules_file.py) validated by
pydantic (`RulesFile`, then each rule as a `Rule`, config.py) -> `RulesConfig`. An error names
the rule and the reason."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ballast.alerts.domain.config import (
    Duration,
    Grouping,
    Kind,
    Rule,
    RulesConfig,
    RulesError,
    payload_pattern,
)
from ballast.alerts.domain.text import template_errors


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
    unknown = set(raw) - set(Rule.model_fields)
    if unknown:
        raise RulesError(f"rule {name}: unknown keys {sorted(unknown)}")
    try:
        payload_pattern(str(raw.get("subject")))
        rule = Rule.model_validate(raw)
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
