"""The console's Custody page in headless chromium: a Safe transaction proposal waits for the
treasury's owners; each signs it in the page with a browser wallet, and the gateway keeps the
signature because it recovers to an owner of the Safe.

The wallet is an EIP-1193 provider the test injects before the page loads: it answers
`eth_requestAccounts` with one owner's address and passes every other call to anvil, which signs
EIP-712 typed data for its own accounts (the owners are anvil accounts 3, 4 and 5), as a browser
extension would after its user clicks "sign".
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from eth_account import Account
from playwright.async_api import Page, expect

from ballast.common.evm.artifacts import load_artifact
from ballast.common.evm.provider import connect as connect_async
from ballast.common.proposals.chain import SafeOnChain
from ballast.common.proposals.store import ProposalStore, apply_migrations
from ballast.devnet.chain import Sender, connect
from ballast.devnet.custody import OWNER_KEYS, THRESHOLD, deploy_safe

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]
WAIT_MS = 30_000
OWNERS = [Account.from_key(k).address for k in OWNER_KEYS]

WALLET = """
(() => {
  const account = %(account)s, rpc = %(rpc)s;
  let id = 0;
  window.ethereum = {
    async request({ method, params }) {
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [account];
      const res = await fetch(rpc, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params: params ?? [] }) });
      const body = await res.json();
      if (body.error) throw new Error(body.error.message);
      return body.result;
    },
  };
})();
"""


def wallet(account: str, rpc_url: str) -> Any:
    async def inject(page: Page) -> None:
        await page.add_init_script(WALLET % {"account": json.dumps(account),
                                             "rpc": json.dumps(rpc_url)})
    return inject


def deploy_owners_safe(rpc_url: str) -> str:
    """A Safe 1.4.1, 2 of the 3 devnet owners, from a fresh funded key (no nonce shared with the
    system's own senders)."""
    w3 = connect(rpc_url)
    admin = Account.create()
    w3.provider.make_request("anvil_setBalance", [admin.address, hex(10**20)])  # type: ignore[attr-defined]
    sender = Sender(w3, admin.key.hex())
    safe, *_ = deploy_safe(sender, load_artifact, OWNERS, THRESHOLD)
    sender.settle()
    return safe


async def test_custody__two_owners_sign_in_the_page__kept_and_ready_to_execute(
    stack: Any,
) -> None:
    rpc_url = stack.e2e.system.rpc_url
    safe = deploy_owners_safe(rpc_url)
    pool = await asyncpg.create_pool(stack.e2e.database_url, min_size=1, max_size=2)
    try:
        await apply_migrations(pool)
        store = ProposalStore(pool)
        w3 = connect_async(rpc_url)
        proposal = await store.propose(
            SafeOnChain(w3, safe), to=OWNERS[0], value=10**18, data=b"",
            reason="tier 3 above the bot's allowance", proposed_by="intervention")
        await w3.provider.disconnect()
        pid = proposal.message.proposal_id

        for n, owner in enumerate(OWNERS[:2], start=1):
            page = await stack.page("custody", before=wallet(owner, rpc_url))
            row = page.get_by_test_id(f"proposal-{pid}")
            await expect(row.get_by_test_id("signatures")).to_have_text(f"{n - 1}/2",
                                                                        timeout=WAIT_MS)
            await row.get_by_role("button", name="Sign with wallet").click()
            await expect(page.get_by_test_id("custody-message")).to_have_text(
                f"Signature added: {n}/2 for proposal {pid}", timeout=WAIT_MS)
            await expect(row.get_by_test_id("signatures")).to_have_text(f"{n}/2",
                                                                        timeout=WAIT_MS)
            assert set((await store.get(pid)).signatures) == set(OWNERS[:n])
        await expect(row.get_by_text("ready to execute")).to_be_visible(timeout=WAIT_MS)
        await expect(row.get_by_role("button", name="Sign with wallet")).to_have_count(0)
        await page.screenshot(path=str(stack.tmp / "console-custody.png"), full_page=True)
        assert (await store.get(pid)).message.status == "pending"  # executing is the CLI's
    finally:
        await pool.close()
