"""The shape every service takes (docs/architecture.md "The rooms of a service"): the same rooms
in every service, no source module over 300 lines, and no I/O import in any domain/."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("domain", "adapters", "app.py", "handlers.py", "metrics.py", "settings.py", "main.py",
         "migrations")
MAX_LINES = 300
SERVICES = sorted(p for p in (ROOT / "services").glob("*/src/ballast/*") if p.is_dir())
DOMAINS = [s / "domain" for s in SERVICES if (s / "domain").is_dir()]


def _sources() -> list[Path]:
    roots = [*(ROOT / "services").glob("*/src"), *(ROOT / "libs").glob("*/src"), ROOT / "cli/src"]
    return sorted(p for r in roots for p in r.rglob("*.py"))


def _banned() -> set[str]:
    config = tomllib.loads((ROOT / "ruff.domain.toml").read_text())
    return set(config["lint"]["flake8-tidy-imports"]["banned-api"])


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_services__found() -> None:
    assert len(SERVICES) >= 7


@pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])
def test_service__lists_every_room(service: Path) -> None:
    missing = [room for room in ROOMS if not (service / room).exists()]
    assert not missing, f"{service.relative_to(ROOT)} lacks {', '.join(missing)}"


def test_source_modules__none_over_300_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _sources()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"


@pytest.mark.parametrize("domain", DOMAINS, ids=[d.parent.name for d in DOMAINS])
def test_domain__imports_no_io_package(domain: Path) -> None:
    banned = _banned()
    bad = {
        f"{p.relative_to(ROOT)}: {name}"
        for p in domain.rglob("*.py") for name in _imports(p)
        if name.split(".")[0] in banned or name in banned
    }
    assert not bad, f"domain/ imports I/O: {sorted(bad)}"


@pytest.mark.parametrize("domain", DOMAINS, ids=[d.parent.name for d in DOMAINS])
def test_domain__ruff_config_extends_the_one_banned_list(domain: Path) -> None:
    config = tomllib.loads((domain / "ruff.toml").read_text())
    assert (domain / config["extend"]).resolve() == ROOT / "ruff.domain.toml"
