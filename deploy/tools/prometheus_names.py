"""The metric names Ballast's dashboards and Prometheus rules use, and the names a scrape shows.

Shared by tests/deploy (against each service's registry, offline) and tests/e2e (against the
/metrics of the running services): a dashboard or rule naming a metric no service exports would
show nothing in Grafana, or never fire.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[1]

EXTERNAL = {
    "up": "Prometheus itself, per scrape target",
    "jetstream_consumer_num_pending": "prometheus-nats-exporter -jsz=all (NATS Helm chart)",
    "jetstream_consumer_num_ack_pending": "prometheus-nats-exporter -jsz=all",
    "jetstream_consumer_num_redelivered": "prometheus-nats-exporter -jsz=all",
    "jetstream_stream_last_seq": "prometheus-nats-exporter -jsz=all",
    "jetstream_stream_total_messages": "prometheus-nats-exporter -jsz=all",
}

KEYWORDS = {
    # aggregations, set operators, modifiers
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right",
    "and", "or", "unless", "bool", "offset", "inf", "nan",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_OFFSET = re.compile(r"\boffset\s+-?\w+")
_IDENT = re.compile(r"(?<![\w.:$])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not functions, labels or keywords)."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _OFFSET.sub(" ", text)
    names: set[str] = set()
    for match in _IDENT.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in KEYWORDS:
            continue
        names.add(name)
    return names


def rules() -> list[dict[str, str]]:
    data = yaml.safe_load((DEPLOY / "prometheus" / "rules.yaml").read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def dashboard_exprs() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted((DEPLOY / "grafana").glob("*.json")):
        board = json.loads(path.read_text())
        out[path.name] = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    return out



def recorded() -> set[str]:
    return {r["record"] for r in rules() if "record" in r}


def used_names() -> set[str]:
    """Every metric name a rule or a dashboard panel selects."""
    used = {n for r in rules() for n in metric_names(r["expr"])}
    used |= {n for exprs in dashboard_exprs().values() for e in exprs for n in metric_names(e)}
    return used


_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "info": ("_info",),
}


def exposed_names(exposition: str) -> set[str]:
    """Sample names a Prometheus scrape of this text yields, including the families that have no
    sample yet (a labelled counter nothing has incremented still has its `# TYPE` line)."""
    names: set[str] = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(maxsplit=3)
            base = family.removesuffix("_total") if kind == "counter" else family
            names.add(family)
            names.update(base + suffix for suffix in _SUFFIXES.get(kind, ()))
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def unknown_names(exposed: set[str]) -> set[str]:
    """Names the dashboards and rules use that are neither in `exposed`, recorded by a rule, nor
    external (EXTERNAL)."""
    return {n for n in used_names() if n not in exposed and n not in recorded()
            and n not in EXTERNAL}
