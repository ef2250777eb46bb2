"""Every PromQL expression of the rules and the dashboards parses with Prometheus' own grammar.

The grammar is the npm package @prometheus-io/lezer-promql (the one the Prometheus UI uses),
pinned in deploy/tools/package.json and run by deploy/tools/promql_check.cjs under node. One syntax
error would stop Prometheus loading the whole rule group, or leave a panel empty.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def expressions() -> list[str]:
    data = yaml.safe_load((DEPLOY / "prometheus" / "rules.yaml").read_text())
    exprs = [rule["expr"] for group in data["groups"] for rule in group["rules"]]
    for path in sorted((DEPLOY / "grafana").glob("*.json")):
        board = json.loads(path.read_text())
        exprs += [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    return exprs


def check(exprs: list[str]) -> list[tuple[str, str | None]]:
    node = shutil.which("node")
    grammar = DEPLOY / "tools" / "node_modules" / "@prometheus-io" / "lezer-promql"
    if node is None or not grammar.exists():
        pytest.fail("PromQL grammar not installed: run `make setup` (npm ci in deploy/tools)")
    out = subprocess.run(  # noqa: S603 - fixed argv
        [node, str(DEPLOY / "tools" / "promql_check.cjs")],
        input=json.dumps(exprs), capture_output=True, text=True, check=True, timeout=60,
    )
    return [(e, err) for e, err in json.loads(out.stdout)]


def test_promql_check__broken_expression__reported() -> None:
    (result,) = check(["sum by (a) (rate(x[5m])"])
    assert result[1] is not None


def test_promql__every_rule_and_panel_expression__parses() -> None:
    exprs = expressions()
    results = check(exprs)
    assert len(results) == len(exprs) > 80
    assert [(e, err) for e, err in results if err] == []
