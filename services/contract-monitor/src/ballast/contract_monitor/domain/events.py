"""Which `etf.events.<kind>` each StakeBasket, StakingManager and UnbondingQueue event is, and
which governance event (`GovernanceProposal.event`) each Governor event is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ballast.common.messages import EtfEventKind
from ballast.contract_monitor.domain.model import DecodedLog, StoredLog

_KINDS: dict[str, EtfEventKind] = {
    "Deposited": EtfEventKind.DEPOSIT,
    "Withdrawn": EtfEventKind.WITHDRAW,
    "WithdrawalQueued": EtfEventKind.QUEUED,
    "RequestQueued": EtfEventKind.QUEUED,
    "WithdrawalClaimed": EtfEventKind.CLAIMED,
    "RequestClaimed": EtfEventKind.CLAIMED,
    "Rebalanced": EtfEventKind.REBALANCED,
    "Compounded": EtfEventKind.COMPOUNDED,
    "CoreDelegated": EtfEventKind.DELEGATED,
    "CoreUndelegated": EtfEventKind.UNDELEGATED,
    "Paused": EtfEventKind.PAUSED,
    "Unpaused": EtfEventKind.UNPAUSED,
    "RoleGranted": EtfEventKind.ROLE,
    "RoleRevoked": EtfEventKind.ROLE,
    "RoleAdminChanged": EtfEventKind.ROLE,
}

GOVERNANCE_EVENTS: dict[str, str] = {
    "ProposalCreated": "created",
    "VoteCast": "vote_cast",
    "VoteCastWithParams": "vote_cast",
    "ProposalQueued": "queued",
    "ProposalExecuted": "executed",
    "ProposalCanceled": "canceled",
}
"""Governor events that change a proposal; the others (ProposalTyped, settings, timelock
operations) are indexed and stored but publish nothing of their own."""


def etf_kind(event_name: str) -> EtfEventKind:
    """The subject token of an ETF event; anything not named above is `other`."""
    return _KINDS.get(event_name, EtfEventKind.OTHER)


def classify(d: DecodedLog, sources: Mapping[str, str]) -> StoredLog:
    """A decoded log with its side (`sources`: lower-case address -> etf | governance) and the
    kind it is published or recorded as."""
    source = sources.get(d.address.lower(), "etf")
    kind = etf_kind(d.event_name).value if source == "etf" else \
        GOVERNANCE_EVENTS.get(d.event_name, "other")
    return StoredLog(d, source, kind)


class Classifier:
    """`classify` over many logs, each (address, event name)'s answer worked out once (the
    watched contracts emit a few dozen kinds of event, a backfill thousands of logs)."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = sources
        self._known: dict[tuple[str, str], tuple[str, str]] = {}

    def __call__(self, logs: Sequence[DecodedLog]) -> list[StoredLog]:
        known = self._known
        out: list[StoredLog] = []
        for d in logs:
            found = known.get((d.address, d.event_name))
            if found is None:
                s = classify(d, self.sources)
                found = known[d.address, d.event_name] = (s.source, s.kind)
            out.append(StoredLog(d, found[0], found[1]))
        return out
