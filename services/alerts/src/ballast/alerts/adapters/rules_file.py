"""The rules file: YAML on disk -> `RulesConfig`, and a watcher that reloads it on change.

The shipped defaults live next to the package (`rules.default.yaml`); a deployment points
BALLAST_ALERTS_RULES_PATH at its own file (a ConfigMap). Reload happens on SIGHUP or when the
file's mtime changes; a file that fails to parse is logged and the previous rules stay.
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

from ballast.alerts.domain.config import RulesConfig, RulesError
from ballast.alerts.domain.spec import parse_rules

log = logging.getLogger("ballast.alerts.rules")

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules.default.yaml"


def load_rules(path: Path | None = None) -> RulesConfig:
    source = path or DEFAULT_RULES
    raw = yaml.safe_load(source.read_text())
    if not isinstance(raw, dict):
        raise RulesError(f"{source}: expected a mapping with `rules`")
    return parse_rules(raw)  # pyright: ignore[reportUnknownArgumentType]


class RulesWatcher:
    """Knows the file's last mtime; `poll()` returns new rules when it changed and parses."""

    def __init__(self, path: Path | None) -> None:
        self.path = path or DEFAULT_RULES
        self._mtime = self._stat()

    def _stat(self) -> float:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return 0.0

    def poll(self, *, force: bool = False) -> RulesConfig | None:
        mtime = self._stat()
        if not force and mtime == self._mtime:
            return None
        self._mtime = mtime
        try:
            config = load_rules(self.path)
        except (OSError, yaml.YAMLError, RulesError) as err:
            log.error("rules reload failed, keeping the previous rules", extra={"error": str(err)})
            return None
        log.info("rules reloaded", extra={"path": str(self.path), "rules": len(config.rules)})
        return config
