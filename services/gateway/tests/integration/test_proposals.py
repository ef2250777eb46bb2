"""Safe proposals through the gateway (issue 21 "Custody"): a Safe 1.4.1 on anvil (2 of 3
owners), a proposal in the store on Postgres, the list with the EIP-712 message a wallet signs,
and signatures posted as a browser wallet would: an owner's is kept, anyone else's refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest
from eth_account import Account

from ballast.common.evm.artifacts import load_artifact
from ballast.common.evm.provider import connect as connect_async
from ballast.common.proposals.chain import SafeOnChain
from ballast.common.proposals.store import ProposalStore, apply_migrations
from ballast.devnet.chain import Sender, connect
from ballast.devnet.custody import OWNER_KEYS, THRESHOLD, deploy_safe
from ballast.testing.chain import Anvil
from ballast.testing.devnet import reverted

TARGET = "0x000000000000000000000000000000000000bEEF"


@pytest.fixture(scope="module")
def safe(anvil: Anvil) -> Generator[str]:
    with reverted(anvil):
        admin = Sender(connect(anvil.rpc_url), anvil.private_keys[0])
        owners = [Account.from_key(k).address for k in OWNER_KEYS]
        address, *_ = deploy_safe(admin, load_artifact, owners, THRESHOLD)
        admin.settle()
        yield address


@dataclass
class World:
    harness: Any
    store: ProposalStore
    proposal_id: str

    async def post(self, signature: str, *, token: dict[str, str] | None = None,
                   proposal_id: str | None = None) -> tuple[int, Any]:
        url = (f"{self.harness.base}/api/v1/proposals/{proposal_id or self.proposal_id}"
               "/signatures")
        async with aiohttp.ClientSession() as http, http.post(
                url, json={"signature": signature},
                headers=token or self.harness.operator) as resp:
            return resp.status, await resp.json()

    async def listed(self, query: str = "") -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as http, http.get(
                f"{self.harness.base}/api/v1/proposals{query}",
                headers=self.harness.viewer) as resp:
            assert resp.status == 200
            return await resp.json()


@pytest.fixture
async def world(safe: str, anvil: Anvil, database_url: str, gateway_factory: Any
                ) -> AsyncIterator[World]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    harness = await gateway_factory(rpc_url=anvil.rpc_url)
    try:
        await apply_migrations(pool)
        store = ProposalStore(pool)
        w3 = connect_async(anvil.rpc_url)
        proposal = await store.propose(SafeOnChain(w3, safe), to=TARGET, value=10**20,
                                       data=b"\x12\x34", reason="tier 3 above the allowance",
                                       proposed_by="intervention")
        await w3.provider.disconnect()
        yield World(harness, store, proposal.message.proposal_id)
    finally:
        await harness.nc.drain()
        await harness.gateway.stop()
        await pool.close()


def wallet_signature(key: str, typed_data: dict[str, Any]) -> str:
    """What a browser wallet's eth_signTypedData_v4 returns for the listed message."""
    return "0x" + bytes(Account.sign_typed_data(key, full_message=typed_data).signature).hex()


async def test_proposals__listed_with_the_message_owners_sign__owner_kept_others_refused(
    world: World,
) -> None:
    [listed] = await world.listed()
    assert listed["proposal_id"] == world.proposal_id and listed["status"] == "pending"
    assert (listed["threshold"], listed["signers"], listed["ready"]) == (2, [], False)
    typed = listed["typed_data"]
    assert typed["primaryType"] == "SafeTx"
    assert typed["message"]["value"] == str(10**20)  # exact past 2^53: a decimal string
    assert typed["message"]["to"] == TARGET

    outsider = wallet_signature(Account.create().key.hex(), typed)
    status, body = await world.post(outsider)
    assert status == 422 and "is not an owner of Safe" in body["detail"]
    status, body = await world.post(wallet_signature(OWNER_KEYS[0], typed),
                                    token=world.harness.viewer)
    assert status == 403  # a viewer token may read, not submit

    first = wallet_signature(OWNER_KEYS[0], typed)
    status, body = await world.post(first)
    assert status == 200 and body["result"] == "added"
    owner0 = Account.from_key(OWNER_KEYS[0]).address
    assert body["proposal"]["signers"] == [owner0]
    status, body = await world.post(first)
    assert (status, body["result"]) == (200, "duplicate")
    status, body = await world.post(wallet_signature(OWNER_KEYS[1], typed))
    assert (status, body["result"], body["proposal"]["ready"]) == (200, "added", True)
    status, body = await world.post(wallet_signature(OWNER_KEYS[2], typed))
    assert (status, body["result"]) == (200, "enough")  # the threshold was met: nothing stored
    stored = await world.store.get(world.proposal_id)
    assert len(stored.signatures) == 2
    [again] = await world.listed()
    assert again["ready"] and len(again["signers"]) == 2


async def test_proposals__bad_requests__4xx_with_a_reason_and_nothing_stored(
    world: World,
) -> None:
    status, body = await world.post("0x1234")
    assert status == 422 and "signature" in str(body["detail"])
    status, body = await world.post("0x" + "00" * 65)
    assert status == 422 and body["detail"]
    status, body = await world.post("0x" + "11" * 65, proposal_id="0123456789abcdef")
    assert status == 404 and "no proposal" in body["detail"]
    async with aiohttp.ClientSession() as http, http.get(
            f"{world.harness.base}/api/v1/proposals") as resp:
        assert resp.status == 401
    assert (await world.store.get(world.proposal_id)).signatures == {}
    assert await world.listed("?all=true") == await world.listed()  # one, still pending
