"""The chaos suite's end checks (issue 22), from the chain, Postgres and the bus's streams.

After the faults, once the system has settled: no decision lost, no swap twice, no alert lost,
one notification per incident. What each count means:

decision lost     an `act` decision in Postgres not on the ACTIONS stream, or the other way
                  round, or one that never reached a terminal phase
decision doubled  a decision id twice on the stream (past its duplicate window)
executed lost     a terminal intervention with no intervention.executed on the stream
executed doubled  an intervention.executed twice for one decision
swap lost         a confirmed decision with no Swap log on the chain
swap doubled      two Swap logs for one decision, or a Swap to the treasury no decision sent
alert lost        an alerts_history notification not on the ALERTS stream (by its msg-id)
alert doubled     one msg-id twice on the ALERTS stream
page lost         a confirmed intervention with no intervention_executed notification
notification lost a notification for the webhook never received (or still pending, or expired)
notification dbl  two distinct notifications received for one alert key and sequence, or more
                  than one intervention_executed page for one decision
redelivered       one notification id received more than once (at least once delivery: the
                  Idempotency-Key lets the receiver drop it; reported, not counted as doubled)
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import nats
from eth_account import Account
from web3 import Web3

from ballast.cli.busauth import OBSERVER
from ballast.devnet.deployer import TREASURY_KEY

SWAP_TOPIC = "0x" + Web3.keccak(
    text="Swap(address,uint256,uint256,uint256,uint256,address)"
).hex().removeprefix("0x")
TERMINAL = ("confirmed", "failed", "dry_run")


@dataclass
class Audit:
    acted: int = 0
    kinds: Counter[str] = field(default_factory=lambda: Counter[str]())
    confirmed: int = 0
    swaps: int = 0
    alerts: int = 0
    notifications: int = 0
    lost: Counter[str] = field(default_factory=lambda: Counter[str]())
    doubled: Counter[str] = field(default_factory=lambda: Counter[str]())
    redelivered: int = 0
    details: list[str] = field(default_factory=lambda: list[str]())

    def summary(self) -> str:
        return (
            f"acted {self.acted} {dict(self.kinds)}, confirmed {self.confirmed}, "
            f"swaps {self.swaps}, "
            f"alerts {self.alerts}, notifications {self.notifications}, "
            f"lost {dict(self.lost)}, doubled {dict(self.doubled)}, "
            f"redelivered {self.redelivered}"
        )


async def stream(system: Any, name: str) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """(subject, headers, body) of every message on a stream, read by sequence as the observer."""
    nc = await system.bus_users.connect(OBSERVER)
    js = nc.jetstream()
    out: list[tuple[str, dict[str, str], dict[str, Any]]] = []
    try:
        info = await js.stream_info(name)
        if info.state.messages:
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                try:
                    msg = await js.get_msg(name, seq)
                except nats.js.errors.NotFoundError:
                    continue
                out.append((msg.subject, dict(msg.headers or {}), json.loads(msg.data or b"{}")))
    finally:
        await nc.close()
    return out


def swap_logs(e2e: Any) -> list[str]:
    """Tx hashes of the Swap logs on every devnet pair whose recipient is the treasury."""
    to = str(Account.from_key(TREASURY_KEY).address).lower().removeprefix("0x")
    w3 = e2e.market.w3
    hashes: list[str] = []
    for pool in e2e.system.deployment.pools.values():
        logs = w3.eth.get_logs(
            {
                "address": Web3.to_checksum_address(pool.pair),
                "fromBlock": 0,
                "toBlock": "latest",
                "topics": [SWAP_TOPIC, None, "0x" + "0" * 24 + to],
            }
        )
        hashes += [log["transactionHash"].hex().removeprefix("0x").lower() for log in logs]
    return hashes


def _h(tx_hash: str | None) -> str:
    return (tx_hash or "").removeprefix("0x").lower()


async def audit(e2e: Any, webhook_ids: list[str]) -> Audit:
    a = Audit()
    rows = await e2e.fetch(
        "SELECT decision_id, kind, phase, mined_hash FROM "
        "intervention_decisions WHERE action = 'act'"
    )
    txs = await e2e.fetch("SELECT decision_id, tx_hash FROM intervention_txs")
    actions = await stream(e2e.system, "ACTIONS")
    a.acted = len(rows)
    a.kinds = Counter(f"{r['kind']}:{r['phase']}" for r in rows)
    a.confirmed = sum(r["phase"] == "confirmed" for r in rows)

    decided = Counter(b["decision_id"] for s, _, b in actions if s == "intervention.decided")
    acted_on_bus = {
        b["decision_id"]
        for s, _, b in actions
        if s == "intervention.decided" and b["action"] == "act"
    }
    in_pg = {r["decision_id"] for r in rows if r["kind"] == "intervention"}
    stuck = [r["decision_id"] for r in rows if r["phase"] not in TERMINAL]
    a.lost["decision"] = len(acted_on_bus ^ in_pg) + len(stuck)
    a.doubled["decision"] = sum(c - 1 for c in decided.values())
    if acted_on_bus ^ in_pg or stuck:
        a.details.append(f"decisions bus^pg {sorted(acted_on_bus ^ in_pg)} stuck {stuck}")

    executed = Counter(b["decision_id"] for s, _, b in actions if s == "intervention.executed")
    terminal = {
        r["decision_id"] for r in rows if r["kind"] == "intervention" and r["phase"] in TERMINAL
    }
    a.lost["executed"] = len(terminal - set(executed))
    a.doubled["executed"] = sum(c - 1 for c in executed.values())

    # the chain: each Swap to the treasury is one transaction of one decision
    owner = {_h(t["tx_hash"]): t["decision_id"] for t in txs}
    swaps = swap_logs(e2e)
    a.swaps = len(swaps)
    per_decision = Counter(owner.get(h, f"unexplained {h}") for h in swaps)
    a.doubled["swap"] = sum(c - 1 for c in per_decision.values()) + sum(
        1 for d in per_decision if d.startswith("unexplained")
    )
    confirmed = {
        r["decision_id"] for r in rows if r["phase"] == "confirmed" and r["kind"] == "intervention"
    }
    a.lost["swap"] = len(confirmed - set(per_decision))
    if a.doubled["swap"] or a.lost["swap"]:
        a.details.append(f"swaps per decision {dict(per_decision)}; confirmed {confirmed}")

    await _alerts(e2e, a, confirmed, webhook_ids)
    return a


async def _alerts(e2e: Any, a: Audit, confirmed: set[str], webhook_ids: list[str]) -> None:
    history = await e2e.fetch("SELECT key, sequence, notification_id, rule FROM alerts_history")
    outbox = await e2e.fetch("SELECT notification_id, key, sequence, status FROM alerts_outbox")
    alerts = await stream(e2e.system, "ALERTS")
    a.alerts = len(history)
    on_bus = Counter(h.get("Nats-Msg-Id", "") for _, h, _ in alerts)
    a.lost["alert"] = sum(f"{r['key']}#{r['sequence']}" not in on_bus for r in history)
    a.doubled["alert"] = sum(c - 1 for c in on_bus.values())
    pages = {
        r["key"]: r["notification_id"] for r in history if r["rule"] == "intervention_executed"
    }
    a.lost["page"] = sum(not any(d in key for key in pages) for d in confirmed)

    received = Counter(webhook_ids)
    a.notifications = len(received)
    a.redelivered = sum(c - 1 for c in received.values())
    wanted = {r["notification_id"] for r in outbox}
    a.lost["notification"] = len(wanted - set(received)) + sum(
        r["status"] != "delivered" for r in outbox
    )
    by_incident = Counter(
        (r["key"], r["sequence"]) for r in outbox if r["notification_id"] in received
    )
    per_decision = Counter(d for d in confirmed for key in pages if d in key)
    a.doubled["notification"] = (
        sum(c - 1 for c in by_incident.values())
        + sum(c - 1 for c in per_decision.values())
        + len(set(received) - wanted)
    )
    if a.lost["notification"] or a.lost["alert"]:
        a.details.append(f"outbox {[(r['key'], r['status']) for r in outbox][:20]}")
