"""Every subject name, its payload, and the JetStream streams that keep them.

One place for the bus contract (DESIGN.md "The bus"). Services never spell a subject by hand:
they call a builder here. A `Namespace` prefixes every subject and stream name so that test
sessions sharing one NATS server never see each other's traffic; production uses the empty one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from ballast.common import messages as m

_TOKEN = re.compile(r"^[A-Za-z0-9_\-]+$")


def token(value: str) -> str:
    """Check one subject segment: no dots, spaces or wildcards may leak into a subject."""
    if not _TOKEN.match(value):
        raise ValueError(f"not a subject token: {value!r}")
    return value


# ----------------------------------------------------------------------------- subjects
PRICES_OBSERVED_ALL = "prices.observed.>"
PRICES_CONSENSUS_ALL = "prices.consensus.*"
TRADES_ALL = "trades.>"
TREASURY_STATE = "treasury.state"
HEALTH_SCORE = "health.score"
RISK_REPORT = "risk.report"
LIQUIDITY_STATE = "liquidity.state"
PERFORMANCE_REPORT = "performance.report"
INTERVENTION_DECIDED = "intervention.decided"
INTERVENTION_EXECUTED = "intervention.executed"
AUTOMATION_EXECUTED = "automation.executed"
AUTOMATION_REQUESTED_ALL = "automation.requested.*"
CUSTODY_PROPOSALS = "custody.proposals"
ETF_METRICS = "etf.metrics"
ETF_EVENTS_ALL = "etf.events.*"
GOVERNANCE_PROPOSALS = "governance.proposals"
GOVERNANCE_PARAMETERS = "governance.parameters"
VALIDATORS_STATUS = "validators.status"
VALIDATORS_RECOMMENDATIONS = "validators.recommendations"
ALERTS_ALL = "alerts.*"
CONTROL_ALL = "control.*"
HEARTBEAT_ALL = "heartbeat.*"
DEADLETTER_ALL = "deadletter.>"


def prices_observed(source: str, symbol: str) -> str:
    return f"prices.observed.{token(source)}.{token(symbol)}"


def prices_consensus(symbol: str) -> str:
    return f"prices.consensus.{token(symbol)}"


def trades(venue: str, pair: str) -> str:
    return f"trades.{token(venue)}.{token(pair)}"


def automation_requested(kind: str) -> str:
    return f"automation.requested.{token(kind)}"


def etf_event(kind: str) -> str:
    return f"etf.events.{token(kind)}"


def alerts(severity: str) -> str:
    return f"alerts.{token(severity)}"


def control(command: str) -> str:
    return f"control.{token(command)}"


def heartbeat(service: str) -> str:
    return f"heartbeat.{token(service)}"


def deadletter(original_subject: str) -> str:
    return f"deadletter.{original_subject}"


PAYLOADS: dict[str, type[m.Message]] = {
    PRICES_OBSERVED_ALL: m.PriceObservation,
    PRICES_CONSENSUS_ALL: m.ConsensusPrice,
    TRADES_ALL: m.Trade,
    TREASURY_STATE: m.TreasuryState,
    HEALTH_SCORE: m.HealthScore,
    RISK_REPORT: m.RiskReport,
    LIQUIDITY_STATE: m.LiquidityState,
    PERFORMANCE_REPORT: m.PerformanceReport,
    INTERVENTION_DECIDED: m.InterventionDecision,
    INTERVENTION_EXECUTED: m.InterventionExecuted,
    AUTOMATION_EXECUTED: m.AutomationAction,
    AUTOMATION_REQUESTED_ALL: m.AutomationRequest,
    CUSTODY_PROPOSALS: m.SafeProposal,
    ETF_METRICS: m.EtfMetrics,
    ETF_EVENTS_ALL: m.EtfEvent,
    GOVERNANCE_PROPOSALS: m.GovernanceProposal,
    GOVERNANCE_PARAMETERS: m.StrategyParameterChanged,
    VALIDATORS_STATUS: m.ValidatorStatus,
    VALIDATORS_RECOMMENDATIONS: m.ValidatorRecommendation,
    ALERTS_ALL: m.Alert,
    CONTROL_ALL: m.ControlCommand,
    HEARTBEAT_ALL: m.Heartbeat,
    DEADLETTER_ALL: m.DeadLetter,
}
"""Subject pattern -> payload model: the table of DESIGN.md, checked by a test."""


# ----------------------------------------------------------------------------- streams
@dataclass(frozen=True)
class StreamSpec:
    """A JetStream stream: what it keeps and for how long. File storage always."""

    name: str
    subjects: tuple[str, ...]
    max_age: timedelta
    max_bytes: int = 1 << 30
    duplicate_window: timedelta = timedelta(minutes=2)
    description: str = ""


STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec(
        "PRICES",
        (PRICES_OBSERVED_ALL, PRICES_CONSENSUS_ALL, TRADES_ALL),
        max_age=timedelta(days=7),
        description="source readings, consensus prices and DEX trades",
    ),
    StreamSpec(
        "STATE",
        (TREASURY_STATE, HEALTH_SCORE, RISK_REPORT, LIQUIDITY_STATE, PERFORMANCE_REPORT),
        max_age=timedelta(days=30),
        description="treasury state, health, risk, liquidity and performance",
    ),
    StreamSpec(
        "ACTIONS",
        (INTERVENTION_DECIDED, INTERVENTION_EXECUTED, AUTOMATION_EXECUTED,
         AUTOMATION_REQUESTED_ALL, CUSTODY_PROPOSALS),
        max_age=timedelta(days=90),
        description="decisions, requests, their executions and Safe transaction proposals",
    ),
    StreamSpec(
        "CHAIN",
        (ETF_METRICS, ETF_EVENTS_ALL, GOVERNANCE_PROPOSALS, GOVERNANCE_PARAMETERS,
         VALIDATORS_STATUS, VALIDATORS_RECOMMENDATIONS),
        max_age=timedelta(days=30),
        description="ETF metrics and events, governance, validators",
    ),
    StreamSpec("ALERTS", (ALERTS_ALL,), max_age=timedelta(days=30), description="notifications"),
    StreamSpec(
        "CONTROL", (CONTROL_ALL,), max_age=timedelta(days=365), description="operator commands"
    ),
    StreamSpec(
        "HEARTBEATS",
        (HEARTBEAT_ALL,),
        max_age=timedelta(hours=1),
        max_bytes=64 << 20,
        description="service liveness",
    ),
    StreamSpec(
        "DEADLETTER",
        (DEADLETTER_ALL,),
        max_age=timedelta(days=30),
        description="messages that could not be decoded or kept failing",
    ),
)

BUS_SUBJECTS: tuple[str, ...] = tuple(pattern for spec in STREAMS for pattern in spec.subjects)
"""Every subject pattern of the bus: what a reader of all of it subscribes to. Not `>`, which also
matches the inboxes JetStream delivers to (one more copy of a message per consumer)."""


def stream_for(subject: str) -> StreamSpec:
    """The stream that keeps a concrete subject (raises if none does)."""
    for spec in STREAMS:
        if any(subject_matches(pattern, subject) for pattern in spec.subjects):
            return spec
    raise LookupError(f"no stream keeps subject {subject!r}")


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcard match: `*` is one token, `>` one or more trailing tokens."""
    pat, sub = pattern.split("."), subject.split(".")
    for i, part in enumerate(pat):
        if part == ">":
            return len(sub) > i
        if i >= len(sub) or (part != "*" and part != sub[i]):
            return False
    return len(pat) == len(sub)


def subject_intersection(a: str, b: str) -> str | None:
    """The pattern matching exactly the subjects both match, or None when they are disjoint."""
    x, y = a.split("."), b.split(".")
    out: list[str] = []
    for i in range(max(len(x), len(y))):
        p = x[i] if i < len(x) else None
        q = y[i] if i < len(y) else None
        if p == ">":
            return ".".join(out + y[i:]) if q is not None else None
        if q == ">":
            return ".".join(out + x[i:]) if p is not None else None
        if p is None or q is None:
            return None
        if p == "*":
            out.append(q)
        elif q == "*" or p == q:
            out.append(p)
        else:
            return None
    return ".".join(out)


# ----------------------------------------------------------------------------- namespace
@dataclass(frozen=True)
class Namespace:
    """Prefix for subjects (`<prefix>.<subject>`) and streams (`<PREFIX>_<NAME>`).

    Empty in production. Tests use a unique one per session so that many runs can share one
    NATS server (the machine's, or CI's) without crossing.
    """

    prefix: str = ""
    _checked: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.prefix:
            token(self.prefix)

    def subject(self, subject: str) -> str:
        return f"{self.prefix}.{subject}" if self.prefix else subject

    def unprefix(self, subject: str) -> str:
        """The un-prefixed subject of a received message."""
        if self.prefix and subject.startswith(self.prefix + "."):
            return subject[len(self.prefix) + 1 :]
        return subject

    def stream(self, name: str) -> str:
        return f"{self.prefix.upper()}_{name}" if self.prefix else name

    def durable(self, name: str) -> str:
        return f"{self.prefix}_{name}" if self.prefix else name
