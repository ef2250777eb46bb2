"""Safe transaction proposals in Postgres: propose, sign, execute once (issue 21 "Custody").

A call the bot may not make alone (above its Roles allowance, or marked for approval) becomes a
proposal: the SafeTx with the Safe nonce it will run at, its EIP-712 hash, the threshold. Owners
add signatures (`sign`); each must recover to a current owner of the Safe, and once the
threshold is met more signatures change nothing. `execute` sends `execTransaction` once:

- the row is locked for the whole execution, so two executors never both send;
- a row already executed, failed or stale is returned as it is (nothing sent);
- when the Safe's nonce has moved past the proposal, the Safe's own event says whether this
  transaction ran (a crash after sending, before the row was written: recorded now) or another
  took its nonce (stale: it can never run). Nothing is sent either way;
- the chain's estimate refuses a call the Safe would revert before anything is sent.

Every change writes the proposal's new state (`SafeProposal`, `custody.proposals`) to the outbox
in the same transaction; it is published after the commit when a publisher is given, else by
whoever relays the outbox (`OUTBOX_TABLE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from ballast.common.db import Migration, Postgres, load_migrations, migrate
from ballast.common.evm.safe_tx import SafeCall, counted, pack, signer_of
from ballast.common.messages import SafeProposal, SafeProposalStatus, utcnow
from ballast.common.outbox import Conn, JsonPublisher, Outbox, ddl
from ballast.common.proposals.chain import ExecutionRefused, SafeOnChain
from ballast.common.subjects import CUSTODY_PROPOSALS

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_OWNER = "safe-proposals"
"""The name its migrations are recorded under (whichever process applies them first)."""
OUTBOX_TABLE = "safe_proposals_outbox"
ID_HEX = 16
_ROW = "SELECT * FROM safe_proposals WHERE proposal_id = $1"
_LOCKED = _ROW + " FOR UPDATE"


class ProposalError(ValueError):
    """A request the store refuses (the message says why, and holds no secret)."""


class Signed(StrEnum):
    ADDED = "added"
    DUPLICATE = "duplicate"  # this owner had signed already
    ENOUGH = "enough"  # the threshold was met already: nothing stored
    CLOSED = "closed"  # not pending any more: nothing stored


@dataclass(frozen=True)
class Proposal:
    message: SafeProposal
    call: SafeCall
    signatures: dict[str, bytes]

    @property
    def ready(self) -> bool:
        return len(self.signatures) >= self.message.threshold


class _Unpublished:
    async def publish_json(self, data: bytes, subject: str, *, msg_id: str) -> None:
        raise RuntimeError("no publisher: the outbox relay publishes it")


async def apply_migrations(db: Postgres) -> None:
    async with db.acquire() as conn:
        await migrate(conn, MIGRATION_OWNER, [
            *load_migrations(MIGRATIONS), Migration(2, "outbox", ddl(OUTBOX_TABLE))])


class ProposalStore:
    def __init__(self, db: Postgres, publisher: JsonPublisher | None = None) -> None:
        self.db = db
        self.publisher = publisher
        self.outbox = Outbox(OUTBOX_TABLE, publisher or _Unpublished())

    # ------------------------------------------------------------------ reads
    async def get(self, proposal_id: str, conn: Conn | None = None,
                  *, lock: bool = False) -> Proposal:
        q = conn or self.db
        query = _LOCKED if lock else _ROW
        row = await q.fetchrow(query, proposal_id)
        if row is None:
            raise ProposalError(f"no proposal {proposal_id!r}")
        sigs = await q.fetch("SELECT owner, signature FROM safe_proposal_signatures "
                             "WHERE proposal_id = $1 ORDER BY signed_at, owner", proposal_id)
        return _proposal(row, {str(s["owner"]): bytes(s["signature"]) for s in sigs})

    async def list(self, *, pending_only: bool = True) -> list[Proposal]:
        rows = await self.db.fetch(
            "SELECT proposal_id FROM safe_proposals WHERE status = 'pending' OR NOT $1 "
            "ORDER BY safe, nonce, proposed_at", pending_only)
        return [await self.get(str(r["proposal_id"])) for r in rows]

    # ------------------------------------------------------------------ changes
    async def propose(self, chain: SafeOnChain, *, to: str, value: int, data: bytes,
                      operation: int = 0, reason: str = "", decision_id: str | None = None,
                      proposed_by: str) -> Proposal:
        """A new proposal at the next free Safe nonce (the chain's, or one past the last pending
        one); the same call at the same nonce, or the same decision, is the existing one."""
        if decision_id is not None:
            existing = await self.db.fetchval(
                "SELECT proposal_id FROM safe_proposals WHERE decision_id = $1", decision_id)
            if existing is not None:
                return await self.get(str(existing))
        state = await chain.state()
        async with self.db.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", state.safe)
            last = await conn.fetchval(
                "SELECT max(nonce) FROM safe_proposals WHERE safe = $1 AND status = 'pending'",
                state.safe)
            nonce = max(state.nonce, int(last) + 1 if last is not None else 0)
            call = SafeCall(safe=state.safe, chain_id=state.chain_id, nonce=nonce, to=to,
                            value=value, data=data, operation=operation)
            safe_tx_hash = "0x" + call.hash.hex()
            proposal_id = safe_tx_hash[2:2 + ID_HEX]
            inserted = await conn.fetchval(
                "INSERT INTO safe_proposals (proposal_id, safe, chain_id, nonce, to_address, value,"
                " data, operation, safe_tx_hash, threshold, reason, decision_id, proposed_by,"
                " proposed_block) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
                " $14) ON CONFLICT (safe_tx_hash) DO NOTHING RETURNING proposal_id",
                proposal_id, call.safe, call.chain_id, call.nonce, call.to, call.value, call.data,
                call.operation, safe_tx_hash, state.threshold, reason, decision_id, proposed_by,
                state.block)
            if inserted is None:
                return await self.get(proposal_id, conn)
            proposal, pending = await self._changed(conn, proposal_id, "proposed")
        await self._flush(pending)
        return proposal

    async def sign(self, chain: SafeOnChain, proposal_id: str,
                   signature: bytes) -> tuple[Signed, Proposal]:
        """Add an owner's signature of the proposal's Safe transaction hash. A signature that
        does not recover to a current owner is a ProposalError."""
        state = await chain.state()
        async with self.db.acquire() as conn, conn.transaction():
            proposal = await self.get(proposal_id, conn, lock=True)
            signer = _signer(proposal.call, signature)
            if signer not in state.owners:
                raise ProposalError(f"{signer} is not an owner of Safe {state.safe}: the "
                                    "signature is refused")
            if proposal.message.status != SafeProposalStatus.PENDING:
                return Signed.CLOSED, proposal
            if signer in proposal.signatures:
                return Signed.DUPLICATE, proposal
            if len(counted(proposal.signatures, state.owners)) >= proposal.message.threshold:
                return Signed.ENOUGH, proposal
            await conn.execute(
                "INSERT INTO safe_proposal_signatures (proposal_id, owner, signature) "
                "VALUES ($1, $2, $3)", proposal_id, signer, signature)
            proposal, pending = await self._changed(conn, proposal_id, f"signed-{signer}")
        await self._flush(pending)
        return Signed.ADDED, proposal

    async def execute(self, chain: SafeOnChain, proposal_id: str,
                      payer_key: str | bytes) -> tuple[bool, Proposal]:
        """(whether this call sent a transaction, the proposal after it)."""
        async with self.db.acquire() as conn, conn.transaction():
            proposal = await self.get(proposal_id, conn, lock=True)
            if proposal.message.status != SafeProposalStatus.PENDING:
                return False, proposal
            state = await chain.state()
            call = proposal.call
            if state.nonce > call.nonce:
                row = await conn.fetchrow("SELECT proposed_block FROM safe_proposals "
                                          "WHERE proposal_id = $1", proposal_id)
                done = await chain.executed(call, int(row["proposed_block"]) if row else 0)
                status = (SafeProposalStatus.STALE if done is None else
                          SafeProposalStatus.EXECUTED if done.succeeded else
                          SafeProposalStatus.FAILED)
                await self._close(conn, proposal_id, status, done.tx_hash if done else None,
                                  done.block if done else None)
                proposal, pending = await self._changed(conn, proposal_id, str(status))
                sent = False
            else:
                if state.nonce < call.nonce:
                    raise ProposalError(f"the Safe is at nonce {state.nonce}: the proposals "
                                        f"before nonce {call.nonce} run first")
                signers = sorted(counted(proposal.signatures, state.owners),
                                 key=lambda a: int(a, 16))[:state.threshold]
                if len(signers) < state.threshold:
                    raise ProposalError(f"{len(signers)} owner signature(s) of the "
                                        f"{state.threshold} the Safe requires")
                try:
                    done = await chain.execute(
                        call, pack({a: proposal.signatures[a] for a in signers}), payer_key)
                except ExecutionRefused as err:
                    raise ProposalError(str(err)) from err
                status = (SafeProposalStatus.EXECUTED if done.succeeded
                          else SafeProposalStatus.FAILED)
                await self._close(conn, proposal_id, status, done.tx_hash, done.block)
                proposal, pending = await self._changed(conn, proposal_id, str(status))
                sent = True
        await self._flush(pending)
        return sent, proposal

    # ------------------------------------------------------------------ internals
    async def _close(self, conn: Conn, proposal_id: str, status: SafeProposalStatus,
                     tx_hash: str | None, block: int | None) -> None:
        await conn.execute(
            "UPDATE safe_proposals SET status = $2, exec_tx_hash = $3, executed_block = $4, "
            "updated_at = now() WHERE proposal_id = $1", proposal_id, str(status), tx_hash, block)

    async def _changed(self, conn: Conn, proposal_id: str, event: str) -> tuple[Proposal, Any]:
        await conn.execute("UPDATE safe_proposals SET updated_at = now() WHERE proposal_id = $1",
                           proposal_id)
        proposal = await self.get(proposal_id, conn)
        pending = await self.outbox.add(conn, proposal.message, CUSTODY_PROPOSALS,
                                        f"safe-proposal-{proposal_id}-{event}")
        return proposal, pending

    async def _flush(self, pending: Any) -> None:
        if self.publisher is not None:
            await self.outbox.flush(self.db, [pending])


def _signer(call: SafeCall, signature: bytes) -> str:
    try:
        return signer_of(call, signature)
    except ValueError as err:
        raise ProposalError(str(err)) from err


def _proposal(row: Any, signatures: dict[str, bytes]) -> Proposal:
    call = SafeCall(safe=row["safe"], chain_id=int(row["chain_id"]), nonce=int(row["nonce"]),
                    to=row["to_address"], value=int(row["value"]), data=bytes(row["data"]),
                    operation=int(row["operation"]))
    message = SafeProposal(
        proposal_id=row["proposal_id"], safe=call.safe, chain_id=call.chain_id, nonce=call.nonce,
        to=call.to, value=call.value, data="0x" + call.data.hex(), operation=call.operation,
        safe_tx_hash=row["safe_tx_hash"], reason=row["reason"], decision_id=row["decision_id"],
        proposed_by=row["proposed_by"], proposed_at=row["proposed_at"],
        signers=[to_checksum_address(s) for s in signatures], threshold=int(row["threshold"]),
        status=SafeProposalStatus(row["status"]), exec_tx_hash=row["exec_tx_hash"],
        updated_at=row["updated_at"] or utcnow())
    return Proposal(message, call, signatures)
