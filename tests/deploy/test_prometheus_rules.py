"""The Prometheus rules, checked and unit-tested by Prometheus' own `promtool`.

`promtool check rules` loads deploy/prometheus/rules.yaml as Prometheus would; `promtool test
rules` runs deploy/prometheus/rules.test.yaml, which feeds series to every paging (critical)
rule and expects its alert, labels and annotations at given times. `make setup` puts promtool
in .tools/bin (from Debian's `prometheus` package); without it these tests fail, saying so.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules.yaml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "rules.test.yaml"


def promtool() -> str:
    local = ROOT / ".tools" / "bin" / "promtool"
    found = str(local) if local.exists() else shutil.which("promtool")
    if found is None:
        pytest.fail("promtool not found: run `make setup` (it unpacks promtool from Debian's "
                    "`prometheus` package into .tools/bin), or `apt-get install prometheus`")
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed argv
        [promtool(), *args], capture_output=True, text=True, timeout=120, check=False,
    )


def test_promtool_check__rules_file__loads() -> None:
    result = run("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test__paging_rules__fire_as_expected() -> None:
    result = run("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_tests__every_critical_alert__has_a_case() -> None:
    rules = yaml.safe_load(RULES.read_text())
    critical = {r["alert"] for g in rules["groups"] for r in g["rules"]
                if r.get("labels", {}).get("severity") == "critical"}
    cases = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    tested = {t["alertname"] for case in cases for t in case["alert_rule_test"]
              if t.get("exp_alerts")}
    assert critical - tested == set()


def test_promtool_test__wrong_expectation__fails(tmp_path: Path) -> None:
    broken = RULE_TESTS.read_text().replace("is jailed\"", "is JAILED\"")
    (tmp_path / "rules.yaml").write_text(RULES.read_text())
    (tmp_path / "broken.test.yaml").write_text(broken)
    result = run("test", "rules", str(tmp_path / "broken.test.yaml"))
    assert result.returncode != 0 and "BallastValidatorJailed" in result.stdout + result.stderr
