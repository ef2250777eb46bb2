"""`python -m ballast.cli.offchain`: see the package docstring."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from pathlib import Path

from aiohttp import web

from ballast.cli.offchain.chain import ChainQuotes
from ballast.cli.offchain.server import OffchainServer
from ballast.common.deployment import Deployment


async def serve(rpc_url: str, deployment: Path, host: str, port: int, interval: float) -> None:
    quotes = ChainQuotes(rpc_url, Deployment.load(deployment))
    server = OffchainServer(quotes.read, interval=interval)
    runner = web.AppRunner(server.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    logging.getLogger("ballast.offchain").info("Hermes and Crossbar on http://%s:%d", host, port)
    try:
        await server.refresh_forever()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ballast.cli.offchain")
    parser.add_argument("--rpc-url", required=True)
    parser.add_argument("--deployment", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval", type=float, default=0.5, help="chain poll, seconds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.rpc_url, args.deployment, args.host, args.port, args.interval))


main()
