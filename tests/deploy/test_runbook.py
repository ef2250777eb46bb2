"""Every alert, Ballast's own and Prometheus', links to a runbook section that exists.

The link is the `runbook_url` of each rule: `docs/runbook.md#<anchor>`, where the anchor is a
heading of docs/runbook.md as GitHub renders it (lowercase, spaces to dashes, punctuation other
than `-` and `_` dropped). Generic on purpose: a rule added to either file needs its section.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ballast.alerts.adapters.rules_file import DEFAULT_RULES

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "docs" / "runbook.md"
PREFIX = "docs/runbook.md#"


def slug(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", markdown, re.M)}


def prometheus_rules() -> dict[str, str | None]:
    path = ROOT / "deploy" / "prometheus" / "rules.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return {
        rule["alert"]: (rule.get("annotations") or {}).get("runbook_url")
        for group in data["groups"] for rule in group["rules"] if "alert" in rule
    }


def ballast_rules() -> dict[str, str | None]:
    data: dict[str, Any] = yaml.safe_load(Path(DEFAULT_RULES).read_text())
    return {rule["name"]: rule.get("runbook_url") for rule in data["rules"]}


def broken(rules: dict[str, str | None], known: set[str]) -> dict[str, str]:
    problems: dict[str, str] = {}
    for name, url in rules.items():
        if not url:
            problems[name] = "no runbook_url"
        elif not url.startswith(PREFIX):
            problems[name] = f"{url} is not a section of {PREFIX[:-1]}"
        elif url.removeprefix(PREFIX) not in known:
            problems[name] = f"{url}: no such heading in docs/runbook.md"
    return problems


def test_slug__heading__github_anchor() -> None:
    assert slug("reserve_ratio_critical") == "reserve_ratio_critical"
    assert slug("BallastServiceDown") == "ballastservicedown"
    assert slug("Reading a page") == "reading-a-page"


def test_broken__missing_and_unknown_anchor__reported() -> None:
    rules = {"a": None, "b": "https://wiki/x", "c": PREFIX + "nowhere", "d": PREFIX + "here"}
    assert broken(rules, {"here"}) == {
        "a": "no runbook_url",
        "b": "https://wiki/x is not a section of docs/runbook.md",
        "c": "docs/runbook.md#nowhere: no such heading in docs/runbook.md",
    }


@pytest.mark.parametrize("source", ["alerts service", "prometheus"])
def test_rules__every_alert__runbook_url_to_an_existing_section(source: str) -> None:
    rules = ballast_rules() if source == "alerts service" else prometheus_rules()
    assert len(rules) > 20
    assert broken(rules, anchors(RUNBOOK.read_text())) == {}


def test_runbook__links_between_sections__resolve() -> None:
    text = RUNBOOK.read_text()
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links - anchors(text) == set()
