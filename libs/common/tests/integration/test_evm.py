"""ballast.common.evm: an async web3 provider that a leaked web3 lock cannot stop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3._utils.http_session_manager import HTTPSessionManager

from ballast.common.evm.provider import async_http_provider


async def test_async_http_provider__web3_lock_leaked__requests_still_answer(anvil: Any) -> None:
    # what a request cancelled inside web3's async_lock leaves behind (web3.py #3867): the
    # process-wide lock held for ever by an executor thread
    lock = HTTPSessionManager._lock
    assert lock.acquire(timeout=5)
    try:
        plain = AsyncWeb3(AsyncHTTPProvider(anvil.rpc_url))
        with pytest.raises(TimeoutError):  # the premise: web3's own provider is stuck
            await asyncio.wait_for(plain.eth.chain_id, 1.0)
        ours = AsyncWeb3(async_http_provider(anvil.rpc_url))
        assert await asyncio.wait_for(ours.eth.chain_id, 5.0) == anvil.chain_id
        assert await asyncio.wait_for(ours.eth.block_number, 5.0) >= 0  # the cached session
        await ours.provider.disconnect()  # type: ignore[attr-defined]
    finally:
        # the cancelled request's executor thread takes the lock when it is free and keeps it
        # (the bug itself): give it back, so later tests' web3 calls are not stuck behind it
        for _ in range(50):
            if lock.locked():
                lock.release()
            await asyncio.sleep(0.02)
        assert not lock.locked()
