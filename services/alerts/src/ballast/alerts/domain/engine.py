"""The alerting engine: evaluator + lifecycle behind the four calls the handlers make.

`on_fact(subject, fact, now)`, `tick(now)`, `acknowledge(key, by, now)`, `silence(...)`. Each
returns data (Transitions): the service persists the changed records and the notifications,
then publishes and delivers them. The clock is always an argument.
"""

from __future__ import annotations

from datetime import datetime

from ballast.alerts.domain.config import RulesConfig
from ballast.alerts.domain.evaluate import Evaluator
from ballast.alerts.domain.lifecycle import Lifecycle
from ballast.alerts.domain.model import SEVERITY_RANK, AlertRecord, Observation, Transitions


class AlertEngine:
    def __init__(self, config: RulesConfig) -> None:
        self.config = config
        self.evaluator = Evaluator(config)
        self.lifecycle = Lifecycle(config)

    def reload(self, config: RulesConfig, now: datetime) -> Transitions:
        """New rules take effect on the next fact; alerts of removed rules resolve."""
        self.config = config
        self.evaluator.reload(config)
        return self.lifecycle.reload(config, now)

    def on_fact(self, subject: str, fact: object, now: datetime) -> Transitions:
        """`subject` is the un-prefixed concrete subject the fact arrived on."""
        return self._apply(self.evaluator.on_fact(subject, fact, now), now)

    def tick(self, now: datetime) -> Transitions:
        out = self._apply(self.evaluator.on_tick(now), now)
        out.extend(self.lifecycle.tick(now))
        return out

    def acknowledge(self, key: str, by: str, now: datetime) -> AlertRecord | None:
        return self.lifecycle.acknowledge(key, by, now)

    def active(self) -> list[AlertRecord]:
        return self.lifecycle.active()

    def _apply(self, observations: list[Observation], now: datetime) -> Transitions:
        """Higher severities first, so a critical can inhibit its warning from the same fact."""
        out = Transitions()
        rules = {rule.name: rule for rule in self.config.rules}

        def rank(obs: Observation) -> int:
            rule = rules.get(obs.rule)
            return -SEVERITY_RANK.get(rule.severity, 0) if rule else 0

        for observation in sorted(observations, key=rank):
            out.extend(self.lifecycle.apply(observation, now))
        return out
