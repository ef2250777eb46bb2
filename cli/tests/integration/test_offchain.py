"""The local Pyth Hermes + Switchboard Crossbar (ballast.cli.offchain) against a devnet on anvil,
read by the oracle's own Hermes and Crossbar clients: what they serve is what the chain says, and
a scenario step reaches an open SSE stream."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator, Generator
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from ballast.cli.offchain import offchain_url, start_offchain
from ballast.cli.offchain.chain import ChainQuotes
from ballast.cli.offchain.server import OffchainServer
from ballast.cli.scenarios.driver import Market
from ballast.cli.scenarios.generators import generate
from ballast.cli.scenarios.model import ScenarioParams
from ballast.devnet import Deployment
from ballast.devnet.chain import connect
from ballast.devnet.oracle import oracle_config, switchboard_feed_hash
from ballast.oracle.adapters.crossbar import CrossbarFeed
from ballast.oracle.adapters.hermes import HermesClient, HermesFeed
from ballast.testing import free_port
from ballast.testing.chain import Anvil
from ballast.testing.devnet import deployed_devnet


@pytest.fixture(scope="module")
def devnet(anvil: Anvil, tmp_path_factory: pytest.TempPathFactory
           ) -> Generator[tuple[Deployment, Path]]:
    with deployed_devnet(anvil, tmp_path_factory.mktemp("devnet")) as devnet:
        yield devnet


@pytest.fixture
def market(anvil_snapshot: Anvil, devnet: tuple[Deployment, Path]) -> Market:
    return Market(connect(anvil_snapshot.rpc_url), devnet[0])


@pytest.fixture
async def served(anvil_snapshot: Anvil, devnet: tuple[Deployment, Path]
                 ) -> AsyncIterator[tuple[OffchainServer, str]]:
    quotes = ChainQuotes(anvil_snapshot.rpc_url, devnet[0])
    server = OffchainServer(quotes.read, interval=0.05)
    await server.refresh()
    runner = web.AppRunner(server.app(), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield server, offchain_url(port)
    await runner.cleanup()


async def test_hermes_and_crossbar__calm_devnet__the_oracle_reads_mockpyth_and_the_pools(
    served: tuple[OffchainServer, str], market: Market,
) -> None:
    _, url = served
    deployment = market.d
    async with aiohttp.ClientSession() as session:
        feed = HermesFeed(HermesClient(url, session), deployment.feeds["PSTR"].pyth_id, "PSTR")
        pyth = await feed.read()
        board = await CrossbarFeed(url, session, switchboard_feed_hash("PSTR"), "PSTR").read()
        async with session.get(f"{url}/v2/updates/price/latest",
                               params=[("ids[]", "0x" + "00" * 32)]) as unknown:
            assert unknown.status == 404
    on_chain, published = market.pyth_price("PSTR")
    assert pyth.price == on_chain and int(pyth.published_at.timestamp()) == published
    assert pyth.confidence is not None and pyth.confidence > 0
    dex = market.dex_prices()["PSTR"].quantize(Decimal("0.00000001"))
    assert board.price == (on_chain + dex) / 2
    assert board.confidence == abs(on_chain - dex) / 2


async def test_hermes_stream__a_pump_step_on_chain__streamed_at_the_pumped_price(
    served: tuple[OffchainServer, str], market: Market,
) -> None:
    server, url = served
    deployment = market.d
    start = market.start_prices()
    step = generate("pump", ScenarioParams(start=start, anchor=start, steps=4))[-1]
    errors: list[object] = []
    async with aiohttp.ClientSession() as session:
        feed = HermesFeed(HermesClient(url, session), deployment.feeds["PSTR"].pyth_id, "PSTR")
        stream = feed.stream(errors.append)
        first = await anext(stream)
        await asyncio.to_thread(market.apply, step, market.latest_timestamp() + 5)
        await server.refresh()
        pumped = await asyncio.wait_for(anext(stream), 10)
        await stream.aclose()
    assert errors == []
    assert pumped.price == step.price("pyth", "PSTR")
    assert pumped.price is not None and pumped.price > first.price * 9


def test_start_offchain__a_process__serves_hermes_and_the_config_points_at_it(
    anvil: Anvil, devnet: tuple[Deployment, Path], tmp_path: Path,
) -> None:
    deployment, path = devnet
    port = free_port()
    with start_offchain(anvil.rpc_url, path, port, tmp_path / "offchain.log"):
        feed = deployment.feeds["BTC"].pyth_id
        with urllib.request.urlopen(  # noqa: S310 - loopback
                f"{offchain_url(port)}/v2/updates/price/latest?ids[]={feed}") as response:
            assert b'"parsed"' in response.read()
    config = oracle_config(deployment, anvil.rpc_url, offchain_url(port))
    kinds = {s["kind"]: s for s in config["symbols"]["PSTR"]["sources"]}
    assert kinds["pyth_hermes"]["endpoint"] == offchain_url(port)
    assert kinds["switchboard_crossbar"]["feed_hash"] == switchboard_feed_hash("PSTR")
