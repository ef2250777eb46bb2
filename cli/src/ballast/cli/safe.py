"""`ballast safe list|propose|sign|execute`: Safe transaction proposals, signed by the owners.

A proposal is a transaction of the treasury Safe the bot may not make alone (above its Roles
allowance, or marked for approval), recorded in Postgres (ballast.common.proposals.store).
`sign ID --keystore FILE` shows what is signed, then adds the owner's EIP-712 signature of the
Safe transaction hash; the key comes from an encrypted keystore (Web3 Secret Storage) and its
password from `--password-file` or a prompt, and neither is printed. `execute ID` sends
`execTransaction` once the threshold is met (the keystore's account pays the gas; it need not be
an owner). A second execute, or a signature once enough are in, changes nothing.

The database is `--database-url`, else DATABASE_URL, else the running stack's; the chain is
`--rpc-url`, else BALLAST_RPC_URL, else the running stack's anvil.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    safe = sub.add_parser("safe", help="Safe transaction proposals: list, propose, sign, execute")
    what = safe.add_subparsers(dest="what", required=True)

    def cmd(name: str, text: str) -> argparse.ArgumentParser:
        p = what.add_parser(name, help=text)
        p.add_argument("--database-url", help="default: DATABASE_URL, else the local stack's")
        p.add_argument("--rpc-url", help="default: BALLAST_RPC_URL, else the stack's anvil")
        return p

    listing = cmd("list", "pending proposals with their signatures and threshold")
    listing.add_argument("--all", action="store_true", help="executed, failed and stale too")
    propose = cmd("propose", "propose a call of the treasury Safe")
    propose.add_argument("--to", required=True, help="the contract (or account) called")
    propose.add_argument("--data", default="0x", help="calldata, hex")
    propose.add_argument("--value", type=int, default=0, help="wei sent with the call")
    propose.add_argument("--reason", default="", help="why (shown to the signers)")
    propose.add_argument("--safe", help="default: the deployment's custody Safe")
    propose.add_argument("--deployment", type=Path, help="default: .ballast/deployment.json")
    for name, text in (("sign", "sign a proposal as an owner"),
                       ("execute", "execute a proposal whose threshold is met")):
        p = cmd(name, text)
        p.add_argument("proposal_id", metavar="ID")
        p.add_argument("--keystore", type=Path, required=True,
                       help="an encrypted key file (Web3 Secret Storage); for execute, the "
                       "account paying the gas")
        p.add_argument("--password-file", type=Path,
                       help="the keystore's password (default: asked at the terminal)")


def run(args: argparse.Namespace) -> int:
    from ballast.common.proposals.store import ProposalError  # noqa: PLC0415

    try:
        return asyncio.run(_run(args))
    except (ProposalError, KeystoreError) as err:
        print(f"refused: {err}", file=sys.stderr)
        return 1


class KeystoreError(ValueError):
    pass


def load_key(keystore: Path, password_file: Path | None) -> bytes:
    """The private key of an encrypted keystore (message without the password or the key)."""
    from eth_account import Account  # noqa: PLC0415

    try:
        encrypted = json.loads(keystore.read_text())
    except (OSError, ValueError) as err:
        raise KeystoreError(f"cannot read the keystore {keystore}: {type(err).__name__}") from None
    if password_file is not None:
        password = password_file.read_text().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {keystore.name}: ")
    try:
        return bytes(Account.decrypt(encrypted, password))
    except (ValueError, KeyError, TypeError):
        raise KeystoreError(f"cannot decrypt {keystore}: wrong password or not a keystore") \
            from None


async def _run(args: argparse.Namespace) -> int:
    from ballast.cli.devnet.command import default_rpc_url  # noqa: PLC0415
    from ballast.cli.infra import data_dir_for  # noqa: PLC0415
    from ballast.cli.report import database_url  # noqa: PLC0415
    from ballast.common.db import create_pool  # noqa: PLC0415
    from ballast.common.evm.provider import connect  # noqa: PLC0415
    from ballast.common.proposals.store import ProposalStore, apply_migrations  # noqa: PLC0415
    from ballast.devstack.processes import repo_root  # noqa: PLC0415

    dsn = database_url(args.database_url, data_dir_for(repo_root()))
    if dsn is None:
        print("no database: pass --database-url, set DATABASE_URL, or start a stack "
              "(`ballast up`)", file=sys.stderr)
        return 2
    key = (load_key(args.keystore, args.password_file)
           if args.what in ("sign", "execute") else None)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        await apply_migrations(pool)
        store = ProposalStore(pool)
        w3 = connect(args.rpc_url or default_rpc_url())
        if args.what == "list":
            return await _list(store, pending_only=not args.all)
        if args.what == "propose":
            return await _propose(store, w3, args)
        assert key is not None
        if args.what == "sign":
            return await _sign(store, w3, args.proposal_id, key)
        return await _execute(store, w3, args.proposal_id, key)
    finally:
        await pool.close()


def describe(p: Any) -> list[str]:
    """A proposal as the signer should read it before signing (a SafeProposal)."""
    data = p.data if len(p.data) <= 74 else p.data[:74] + f"... ({(len(p.data) - 2) // 2} bytes)"
    return [
        f"proposal {p.proposal_id}  [{p.status}]  {len(p.signers)}/{p.threshold} signatures",
        f"  safe {p.safe} (chain {p.chain_id}) nonce {p.nonce}",
        f"  call {p.to} value {p.value} op {p.operation} data {data}",
        f"  safe tx hash {p.safe_tx_hash}",
        f"  reason {p.reason or '-'}; proposed by {p.proposed_by}"
        + (f" for decision {p.decision_id}" if p.decision_id else ""),
        *(f"  signed by {s}" for s in p.signers),
        *([f"  executed in {p.exec_tx_hash}"] if p.exec_tx_hash else []),
    ]


async def _list(store: Any, *, pending_only: bool) -> int:
    proposals = await store.list(pending_only=pending_only)
    if not proposals:
        print("no pending proposals" if pending_only else "no proposals")
    for p in proposals:
        print("\n".join(describe(p.message)))
    return 0


async def _propose(store: Any, w3: Any, args: argparse.Namespace) -> int:
    from ballast.cli.devnet.command import default_deployment_path  # noqa: PLC0415
    from ballast.common.deployment import Deployment  # noqa: PLC0415
    from ballast.common.evm.safe_tx import hex_bytes  # noqa: PLC0415
    from ballast.common.proposals.chain import SafeOnChain  # noqa: PLC0415

    safe = args.safe
    if safe is None:
        custody = Deployment.load(args.deployment or default_deployment_path()).custody
        if custody is None:
            print("this deployment has no Safe: pass --safe", file=sys.stderr)
            return 2
        safe = custody.safe
    p = await store.propose(SafeOnChain(w3, safe), to=args.to, value=args.value,
                            data=hex_bytes(args.data), reason=args.reason,
                            proposed_by=f"cli:{getpass.getuser()}")
    print("\n".join(describe(p.message)))
    return 0


async def _with_chain(store: Any, w3: Any, proposal_id: str,
                      act: Callable[[Any, Any], Awaitable[T]]) -> T:
    from ballast.common.proposals.chain import SafeOnChain  # noqa: PLC0415

    proposal = await store.get(proposal_id)
    return await act(proposal, SafeOnChain(w3, proposal.call.safe))


async def _sign(store: Any, w3: Any, proposal_id: str, key: bytes) -> int:
    from ballast.common.evm.safe_tx import sign  # noqa: PLC0415

    async def act(proposal: Any, chain: Any) -> int:
        on_chain = await chain.transaction_hash(proposal.call)
        if on_chain != proposal.call.hash:
            print(f"refused: the Safe hashes this transaction as 0x{on_chain.hex()}, not "
                  f"{proposal.message.safe_tx_hash}", file=sys.stderr)
            return 1
        print("\n".join(describe(proposal.message)))
        outcome, after = await store.sign(chain, proposal_id, sign(proposal.call, key))
        print(f"signature {outcome}: {len(after.message.signers)}/{after.message.threshold}")
        return 0

    return await _with_chain(store, w3, proposal_id, act)


async def _execute(store: Any, w3: Any, proposal_id: str, key: bytes) -> int:
    async def act(proposal: Any, chain: Any) -> int:
        sent, after = await store.execute(chain, proposal_id, key)
        m = after.message
        if sent:
            print(f"executed: {m.status} in {m.exec_tx_hash}")
        else:
            print(f"nothing sent: the proposal is {m.status}"
                  + (f" (in {m.exec_tx_hash})" if m.exec_tx_hash else ""))
        return 1 if sent and m.status != "executed" else 0

    return await _with_chain(store, w3, proposal_id, act)
