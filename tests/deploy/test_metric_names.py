"""Every metric a dashboard or a rule names is one a service exports (or a named external one).

How "exported" is known: each service is built offline by its own `build_app` (no I/O; see
deploy/tools/ballast_introspect.py) and its injected CollectorRegistry is read: the service's
own metrics, the bus counters and FastStream's Prometheus middleware, exactly what its /metrics
serves. A family becomes the sample names Prometheus scrapes (a counter `x` is `x_total`, a
histogram `x_bucket`/`x_sum`/`x_count`), so a dashboard asking for `x` where only `x_total`
exists fails here, as it would show nothing in Grafana. Names with a colon must be recorded by
deploy/prometheus/rules.yaml; a few names come from outside Ballast and are listed with their
source in EXTERNAL.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from prometheus_names import (
    EXTERNAL,
    dashboard_exprs,
    metric_names,
    recorded,
    rules,
    used_names,
)

from ballast.testing.generated import assert_generated

pytestmark = pytest.mark.unit

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@functools.cache
def exported() -> dict[str, str]:
    """Scraped sample name -> the service that exports it."""
    import ballast_introspect  # noqa: PLC0415 - deploy/tools is on sys.path (conftest)

    names: dict[str, str] = {}
    for spec, service in ballast_introspect.services():
        for family in ballast_introspect.metric_families(service):
            for name in family.exposed():
                names.setdefault(name, spec.name)
    return names


# ----------------------------------------------------------------------------- the parser
@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("rate(ballast_x_total[5m])", {"ballast_x_total"}),
        ('sum by (subject) (rate(a_total{subject=~"x.y|z"}[5m])) > 0', {"a_total"}),
        ("histogram_quantile(0.95, sum by (le) (rate(b_bucket[5m])))", {"b_bucket"}),
        ("c > on () group_left () (0.8 * max(d{kind=\"m\"}))", {"c", "d"}),
        ("e == 1 and on (operator) f > 0 unless g offset 1h", {"e", "f", "g"}),
        ("count(h == 1) or vector(0)", {"h"}),
        ("rec:rule:rate5m > 1e3", {"rec:rule:rate5m"}),
    ],
)
def test_metric_names__promql__selectors_only(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_exposed_names__counter_and_histogram__carry_their_suffixes() -> None:
    assert exported()["ballast_deadletter_total"]
    assert "ballast_deadletter" not in exported()
    assert "ballast_intervention_decision_seconds_bucket" in exported()
    assert "ballast_intervention_decision_seconds" not in exported()


# ----------------------------------------------------------------------------- the artefacts
def test_rules__every_metric__exported_recorded_or_external() -> None:
    names = recorded()
    unknown = {
        (rule.get("alert") or rule["record"], name)
        for rule in rules()
        for name in metric_names(rule["expr"])
        if name not in exported() and name not in names and name not in EXTERNAL
    }
    assert unknown == set()


def test_dashboards__every_metric__exported_recorded_or_external() -> None:
    names = recorded()
    boards = dashboard_exprs()
    assert len(boards) == 7
    unknown = {
        (board, name)
        for board, exprs in boards.items()
        for expr in exprs
        for name in metric_names(expr)
        if name not in exported() and name not in names and name not in EXTERNAL
    }
    assert unknown == set()


def test_dashboards_and_rules__name_metrics_of_every_service() -> None:
    used = used_names()
    assert {exported()[n] for n in used if n in exported()} == {
        "oracle", "treasury", "intervention", "alerts", "contract-monitor", "validator-monitor",
        "gateway",
    }


def test_dashboards__generated__match_committed_files() -> None:
    import grafana_dashboards  # noqa: PLC0415

    for name, text in grafana_dashboards.render().items():
        assert_generated(DEPLOY / "grafana" / name, text,
                         "run .venv/bin/python deploy/tools/grafana_dashboards.py deploy/grafana")


def test_rules__every_alert__severity_and_summary() -> None:
    alerts = [r for r in rules() if "alert" in r]
    assert len({a["alert"] for a in alerts}) == len(alerts) > 20
    for a in alerts:
        assert a["labels"]["severity"] in {"critical", "warning"}, a["alert"]
        assert a["annotations"]["summary"], a["alert"]
        assert a["alert"].startswith("Ballast"), a["alert"]  # Alertmanager routes on it


def test_dashboards__panels__unique_ids_inside_the_grid_on_the_variable() -> None:
    for path in sorted((DEPLOY / "grafana").glob("*.json")):
        board = json.loads(path.read_text())
        assert board["uid"].startswith("ballast-") and board["title"].startswith("Ballast / ")
        assert [v["name"] for v in board["templating"]["list"]] == ["datasource"]
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for p in board["panels"]:
            grid = p["gridPos"]
            assert grid["x"] + grid["w"] <= 24, (path.name, p["title"])
            assert p["datasource"]["uid"] == "${datasource}"
            assert p["targets"] and all(t["expr"] for t in p["targets"])
