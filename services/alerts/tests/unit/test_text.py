"""Rule templates: numbers formatted for people, alternatives, mistakes caught at load."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ballast.alerts.domain.config import RulesError
from ballast.alerts.domain.spec import parse_rules
from ballast.alerts.domain.text import render, template_errors


def test_render__format_specs__humanized() -> None:
    values = {"usd": Decimal("48000"), "p": Decimal("0.839583333333051025684"),
              "mode": "dry_run", "flags": ("stale", "deviant"), "ok": True}
    text = render("{usd:usd} {p:price} {mode:hyphen} {flags} {ok} {value:percent}",
                  values, Decimal("0.2323242422466571204089801184"), None)
    assert text == "$48,000.00 $0.83958 dry-run stale, deviant yes 23.2%"


def test_render__alternatives__first_value_the_fact_has() -> None:
    tpl = "Transaction: {tx_hash|reason}"
    assert render(tpl, {"tx_hash": None, "reason": "dry run"}, None, None) == "Transaction: dry run"
    assert render(tpl, {"tx_hash": "0xab", "reason": "x"}, None, None) == "Transaction: 0xab"


def test_render__unknown_name_and_missing_value__visible() -> None:
    assert render("{nope:usd} {threshold}", {}, None, None) == "{nope:usd} n/a"


def test_template_errors__unknown_format__named() -> None:
    (error,) = template_errors("{value:dollars}")
    assert "unknown format 'dollars'" in error
    assert template_errors("{value:token PUMP} {a|b:usd} {t:time}") == []


def test_parse_rules__bad_format_in_description__rule_named() -> None:
    raw = {"rules": [{"name": "r", "subject": "treasury.state", "severity": "info",
                      "field": "tier", "description": "{value:dollar}"}]}
    with pytest.raises(RulesError, match="rule r: description: .*unknown format 'dollar'"):
        parse_rules(raw)
