"""Local stand-ins that speak the real wire formats (REFERENCE.md "Pyth", "Switchboard"):
a Hermes REST + SSE server and a Crossbar server, with switches for the failures a source can
throw at us (500, 429, garbage, malformed JSON, slowness, the 24-hour stream close)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

BTC = "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43"
SWITCHBOARD_HASH = "4cd1cad962425681af07b9254b7d804de3ca3446fbfd1371bb258d2c75059812"


def hermes_entry(
    feed_id: str, price: int, conf: int, expo: int, publish_time: int
) -> dict[str, Any]:
    """One `parsed` entry exactly as Hermes v2 sends it (strings for price and conf)."""
    return {
        "id": feed_id,
        "price": {"price": str(price), "conf": str(conf), "expo": expo,
                  "publish_time": publish_time},
        "ema_price": {"price": str(price + 1000), "conf": str(conf), "expo": expo,
                      "publish_time": publish_time},
        "metadata": {"slot": 140012345 + publish_time % 1000,
                     "proof_available_time": publish_time + 1,
                     "prev_publish_time": publish_time - 1},
    }


@dataclass
class FakeSources:
    """State of the fake Hermes and Crossbar; tests flip `mode` and the prices."""

    url: str = ""
    mode: str = "ok"  # ok | 500 | 429 | garbage | malformed | slow
    api_key: str | None = None
    feeds: dict[str, tuple[int, int, int, int]] = field(
        default_factory=lambda: {BTC: (6140993501000, 3287868567, -8, 1714746101)})
    switchboard: dict[str, list[Any]] = field(
        default_factory=lambda: {SWITCHBOARD_HASH: ["61400.5", "61410.5", "61405.0"]})
    events_per_connection: int = 3
    stream_fail_first: int = 0
    stream_connections: int = 0
    auth_seen: list[str | None] = field(default_factory=list[str | None])

    def payload(self, ids: list[str]) -> dict[str, Any]:
        parsed = [hermes_entry(i, *self.feeds[i]) for i in ids if i in self.feeds]
        return {"binary": {"encoding": "hex", "data": ["504e41550100000003b8" + "00" * 64]},
                "parsed": parsed}


async def _failure(state: FakeSources) -> web.StreamResponse | None:
    if state.mode == "500":
        return web.Response(status=500, text="internal error")
    if state.mode == "429":
        return web.Response(status=429, text="Too Many Requests")
    if state.mode == "garbage":
        return web.Response(status=200, body=b"\x00\xffnot json at all")
    if state.mode == "slow":
        await asyncio.sleep(1.0)
    return None


def build_app(state: FakeSources) -> web.Application:
    async def latest(request: web.Request) -> web.StreamResponse:
        state.auth_seen.append(request.headers.get("Authorization"))
        if state.api_key and request.headers.get("Authorization") != f"Bearer {state.api_key}":
            return web.Response(status=401, text="unauthorized")
        failed = await _failure(state)
        if failed is not None:
            return failed
        if state.mode == "malformed":
            return web.json_response({"parsed": [{"id": BTC, "price": {"price": 61409.9,
                                                                       "expo": "-8"}}]})
        return web.json_response(state.payload(request.query.getall("ids[]", [])))

    async def stream(request: web.Request) -> web.StreamResponse:
        state.stream_connections += 1
        if state.stream_connections <= state.stream_fail_first:
            return web.Response(status=503, text="unavailable")
        ids = request.query.getall("ids[]", [])
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b": keep-alive\n\n")
        for _ in range(state.events_per_connection):
            for feed_id in ids:
                price, conf, expo, published = state.feeds[feed_id]
                state.feeds[feed_id] = (price + 100, conf, expo, published + 1)
            body = json.dumps(state.payload(ids))
            if state.mode == "malformed":
                body = '{"parsed": [{"id": 1}]}'
            await resp.write(f"data:{body}\n\n".encode())
            await asyncio.sleep(0.01)
        return resp  # the server closes the stream, as Hermes does after 24 h

    async def simulate(request: web.Request) -> web.StreamResponse:
        failed = await _failure(state)
        if failed is not None:
            return failed
        hashes = request.match_info["hashes"].split(",")
        return web.json_response([{"feedHash": h, "results": state.switchboard[h]}
                                  for h in hashes if h in state.switchboard])

    app = web.Application()
    app.router.add_get("/v2/updates/price/latest", latest)
    app.router.add_get("/v2/updates/price/stream", stream)
    app.router.add_get("/simulate/{hashes}", simulate)
    return app


@pytest.fixture
async def fake_sources() -> AsyncIterator[FakeSources]:
    state = FakeSources()
    runner = web.AppRunner(build_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


# ----------------------------------------------------------------------------- chain
ARTIFACTS = Path(__file__).resolve().parents[3] / "contracts" / "artifacts"
LOCAL_ARTIFACTS = Path(__file__).resolve().parent / "contracts"


def artifact(name: str) -> dict[str, Any]:
    for path in (ARTIFACTS / f"{name}.json", ARTIFACTS / "uniswap" / f"{name}.json",
                 LOCAL_ARTIFACTS / f"{name}.json"):
        if path.exists():
            return json.loads(path.read_text())
    raise FileNotFoundError(name)


class Chain:
    """Sync web3 over the session anvil: deploy artifacts and send transactions from the first
    (unlocked) account. Test set-up only; the adapters under test use AsyncWeb3."""

    def __init__(self, rpc_url: str) -> None:
        from web3 import Web3  # noqa: PLC0415 - only chain tests pay for the import

        self.w3 = Web3(Web3.HTTPProvider(rpc_url))
        self.me = self.w3.eth.accounts[0]

    def deploy(self, name: str, *args: Any) -> Any:
        spec = artifact(name)
        factory = self.w3.eth.contract(abi=spec["abi"], bytecode=spec["bytecode"])
        receipt = self.wait(factory.constructor(*args).transact({"from": self.me}))
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=spec["abi"])

    def at(self, name: str, address: str) -> Any:
        return self.w3.eth.contract(address=address, abi=artifact(name)["abi"])

    def send(self, call: Any) -> Any:
        return self.wait(call.transact({"from": self.me}))

    def wait(self, tx_hash: Any) -> Any:
        return self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.01)


@dataclass
class Dex:
    chain: Chain
    router: Any
    base: Any   # 18 decimals ("PSTR")
    quote: Any  # 6 decimals ("USDC")
    pair: Any

    def swap(self, amount_in: int, *, sell_base: bool = True) -> Any:
        path = ([self.base.address, self.quote.address] if sell_base
                else [self.quote.address, self.base.address])
        deadline = self.chain.w3.eth.get_block("latest")["timestamp"] + 3600
        return self.chain.send(self.router.functions.swapExactTokensForTokens(
            amount_in, 0, path, self.chain.me, deadline))


def deploy_dex(chain: Chain) -> Dex:
    """WETH9, factory, router, two TestTokens and a pair priced at 2.5 USDC per PSTR."""
    weth = chain.deploy("WETH9")
    factory = chain.deploy("UniswapV2Factory", chain.me)
    router = chain.deploy("UniswapV2Router02", factory.address, weth.address)
    base = chain.deploy("TestToken", "Pstr", "PSTR", 18)
    quote = chain.deploy("TestToken", "Usd Coin", "USDC", 6)
    for token, amount in ((base, 10**9 * 10**18), (quote, 10**9 * 10**6)):
        chain.send(token.functions.mint(chain.me, amount))
        chain.send(token.functions.approve(router.address, 2**256 - 1))
    deadline = chain.w3.eth.get_block("latest")["timestamp"] + 3600
    chain.send(router.functions.addLiquidity(
        base.address, quote.address, 1_000_000 * 10**18, 2_500_000 * 10**6, 0, 0, chain.me,
        deadline))
    pair_address = factory.functions.getPair(base.address, quote.address).call()
    return Dex(chain, router, base, quote, chain.at("UniswapV2Pair", pair_address))


@pytest.fixture(scope="module")
def chain(anvil: Any) -> Iterator[Chain]:
    """Web3 over the session anvil for one module; the chain is put back afterwards."""
    before = anvil.snapshot()
    yield Chain(anvil.rpc_url)
    anvil.revert(before)


@pytest.fixture(scope="module")
def dex(chain: Chain) -> Dex:
    return deploy_dex(chain)


# ----------------------------------------------------------------------------- bus
class BusListener:
    """Everything the oracle publishes under a namespace, decoded (a raw nats-py subscriber), and
    the trades' msg-ids."""

    def __init__(self) -> None:
        from ballast.common.messages import ConsensusPrice, PriceObservation, Trade  # noqa: PLC0415

        self.models = (ConsensusPrice, PriceObservation, Trade)
        self.consensus: list[Any] = []
        self.observed: list[Any] = []
        self.trades: list[Any] = []
        self.msg_ids: list[str] = []

    async def on_msg(self, msg: Any) -> None:
        if ".prices.consensus." in msg.subject:
            self.consensus.append(self.models[0].model_validate_json(msg.data))
        elif ".prices.observed." in msg.subject:
            self.observed.append(self.models[1].model_validate_json(msg.data))
        elif ".trades." in msg.subject:
            self.trades.append(self.models[2].model_validate_json(msg.data))
            self.msg_ids.append((msg.headers or {}).get("Nats-Msg-Id", ""))

    async def wait_for(self, predicate: Any, within: float = 15.0) -> Any:
        """The first consensus (from now on) satisfying `predicate`."""
        start = len(self.consensus)
        async with asyncio.timeout(within):
            while True:
                for price in self.consensus[start:]:
                    if predicate(price):
                        return price
                await asyncio.sleep(0.02)


@pytest.fixture
async def bus_listener(nats_server: Any, bus_namespace: str) -> AsyncIterator[BusListener]:
    from ballast.testing.subscribing import subscribed  # noqa: PLC0415

    got = BusListener()
    subjects = [f"{bus_namespace}.prices.>", f"{bus_namespace}.trades.>"]
    async with subscribed(nats_server.url, subjects, got.on_msg):
        yield got
