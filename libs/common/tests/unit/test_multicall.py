"""Multicall3 over a fake node: one eth_call per chunk, code asked once."""

from __future__ import annotations

from eth_abi.abi import decode, encode

from ballast.common.evm.multicall import AGGREGATE3, Call3, Multicall3, Reply


class FakeNode:
    def __init__(self, code: bool) -> None:
        self.code = code
        self.calls: list[int] = []
        self.code_asked = 0

    async def eth_call(self, to: str, data: bytes, block: int) -> bytes:
        assert data[:4] == AGGREGATE3
        (calls,) = decode(["(address,bool,bytes)[]"], data[4:])
        self.calls.append(len(calls))
        return encode(["(bool,bytes)[]"], [[(allow, payload) for _, allow, payload in calls]])

    async def has_code(self, address: str, block: int) -> bool:
        self.code_asked += 1
        return self.code


async def test_aggregate3__chunks__one_reply_per_call_in_order() -> None:
    node = FakeNode(code=True)
    mc = Multicall3(node, chunk=2)
    assert mc.deployed is None and await mc.available(1) and await mc.available(2)
    calls = [Call3("0x" + "11" * 20, bytes([i]), allow_failure=i % 2 == 0) for i in range(5)]
    replies = await mc.aggregate3(calls, 7)
    assert node.calls == [2, 2, 1] and node.code_asked == 1
    assert replies == [Reply(i % 2 == 0, bytes([i])) for i in range(5)]


async def test_available__no_code_or_no_address__false() -> None:
    assert not await Multicall3(FakeNode(code=False)).available(1)
    node = FakeNode(code=True)
    assert not await Multicall3(node, None).available(1) and node.code_asked == 0
