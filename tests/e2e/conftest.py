"""The e2e harness: all six services as processes over real NATS, Postgres and anvil.

Each test gets its own database, nats-server and anvil with the devnet deployed
(ballast.cli.system.System). The nats-server runs with production's users and permissions
(ballast.cli.busauth): each service logs in as itself, the recorder below as the read-only
`observer`, and the month of trades it seeds is published as the oracle, whose subjects they are.
A local webhook for the alerts service's channels and a local
OTLP receiver for every service's traces. The market is moved the way `ballast scenario` moves
it (ballast.cli.scenarios.driver.Market), one block per step, at wall-clock time so the services'
staleness checks hold.

What the tests stand in for, and why:
- the 30 days of PSTR/USDC trades behind the treasury's 30-day VWAP are published on the trades
  stream before the run (a new chain has no month of history; the stream keeps what the oracle
  would have published), at the devnet's starting price of $1.00;
- time is compressed where waiting would only cost minutes: the DEX TWAP window is 10 s instead
  of the devnet's 60 s;
- the intervention service runs live with the devnet treasury's key (anvil's public test key 1)
  in an encrypted keystore, one confirmation, a 0.2 s executor tick; the oracle polls its chain
  sources every 0.25 s instead of 2 s; alert grouping is off (as in bench/alerts.py), so a page
  leaves within the fact's handler and its trace.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from eth_account import Account
from nats.aio.msg import Msg

from ballast.cli.busauth import OBSERVER, BusUsers
from ballast.cli.scenarios.driver import Market
from ballast.cli.scenarios.generators import generate
from ballast.cli.scenarios.model import ScenarioParams, Step
from ballast.cli.system import System
from ballast.common.messages import Trade, TradeSide, utcnow
from ballast.common.subjects import BUS_SUBJECTS, Namespace, trades
from ballast.devnet.chain import connect
from ballast.devnet.deployer import TREASURY_KEY
from ballast.testing.receivers import OtlpReceiver, WebhookReceiver

VWAP_PAIR = ("devnet", "PSTR-USDC")
TOOLS = Path(__file__).resolve().parents[2] / "deploy" / "tools"
if str(TOOLS) not in sys.path:  # plain scripts, not a package: the PromQL metric-name helpers
    sys.path.insert(0, str(TOOLS))


@dataclass
class BusRecorder:
    """Every message under the test's namespace, decoded, in arrival order."""

    ns: Namespace
    nc: Any = None
    publisher: Any = None
    seen: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)

    async def start(self, url: str, users: BusUsers | None = None) -> None:
        """With `users` (an authenticated server): read as the observer, publish as the oracle."""
        if users is None:
            self.nc = self.publisher = await nats.connect(url)
        else:
            self.nc = await users.connect(OBSERVER)
            self.publisher = await users.connect("oracle")
        for pattern in BUS_SUBJECTS:  # not `>`: JetStream's deliveries to inboxes match it too
            await self.nc.subscribe(self.ns.subject(pattern), cb=self._on)

    async def _on(self, msg: Msg) -> None:
        try:
            body = json.loads(msg.data)
        except ValueError:
            return
        self.seen.append((self.ns.unprefix(msg.subject), body, time.monotonic()))

    def on(self, subject: str) -> list[dict[str, Any]]:
        """Bodies seen on `subject`, or on subjects starting with it when it ends with '.'."""
        if subject.endswith("."):
            return [b for s, b, _ in self.seen if s.startswith(subject)]
        return [b for s, b, _ in self.seen if s == subject]

    def summary(self, width: int = 600) -> str:
        """The last message on each subject (for a failure's message)."""
        last: dict[str, dict[str, Any]] = {}
        for subject, body, _ in self.seen:
            if not subject.startswith(("prices.observed.", "heartbeat.")):
                last[subject] = body
        return "\n".join(f"  {s}: {json.dumps(b)[:width]}" for s, b in sorted(last.items()))

    async def publish(self, subject: str, payload: Any) -> None:
        await self.publisher.jetstream().publish(
            self.ns.subject(subject), payload.model_dump_json().encode())

    async def stop(self) -> None:
        if self.publisher is not None and self.publisher is not self.nc:
            await self.publisher.drain()
        if self.nc is not None:
            await self.nc.drain()


@dataclass
class E2E:
    system: System
    bus: BusRecorder
    webhook: WebhookReceiver
    otlp: OtlpReceiver
    market: Market
    database_url: str

    async def wait(self, predicate: Callable[[], Any], within: float, what: str) -> Any:
        """Poll until `predicate()` is truthy; fails naming `what` and any dead service."""
        deadline = time.monotonic() + within
        while True:
            value = predicate()
            if value:
                return value
            self.system.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {within:.0f}s: {what}\n{self.bus.summary()}\n"
                                     f"service logs:\n{self.system.complaints()}")
            await asyncio.sleep(0.1)

    async def step(self, step: Step) -> int:
        """Apply one scenario step in a block at the wall clock's time; the block number."""
        def apply() -> int:
            timestamp = max(int(time.time()), self.market.latest_timestamp() + 1)
            return self.market.apply(step, timestamp)[0]
        return await asyncio.to_thread(apply)

    def steps(self, name: str, count: int = 12) -> list[Step]:
        d = self.system.deployment
        assert d is not None
        return generate(name, ScenarioParams(
            start=self.market.start_prices(), anchor=d.reference_prices, steps=count))

    async def seed_vwap_history(self, price: Decimal = Decimal(1), days: int = 30) -> None:
        """A month of daily PSTR/USDC trades at `price` (see the module docstring)."""
        venue, pair = VWAP_PAIR
        for i in range(days):
            await self.bus.publish(trades(venue, pair), Trade(
                venue=venue, pair=pair, base_symbol="PSTR", quote_symbol="USDC",
                side=TradeSide.BUY, price=price, base_volume=Decimal(100_000),
                quote_volume=price * 100_000, tx_hash=f"0x{i + 1:064x}", log_index=0,
                block_number=0, block_hash="0x" + "0" * 64,
                timestamp=utcnow() - timedelta(days=days - 1 - i, hours=23)))

    async def wait_rows(self, count_query: str, at_least: int, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while (n := (await self.fetch(count_query))[0][0]) < at_least:
            if time.monotonic() > deadline:
                raise AssertionError(f"{count_query}: {n} rows, not {at_least}, in {within}s")
            await asyncio.sleep(0.1)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()


class Feeds:
    """Keeps the aggregator and Pyth answers fresh at the held prices (a market that does not
    move still publishes), every 3 s, while the test waits."""

    def __init__(self, e2e: Any, move: Callable[[str], Step]) -> None:
        self.e2e, self.move = e2e, move
        self.prices = {k: Decimal(v) for k, v in
                       {"PSTR": "1", "PUMP": "0.5", "CORE": "1.2", "BTC": "65000"}.items()}
        self.task: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()  # one writer of the trader's nonce at a time

    async def _run(self) -> None:
        while True:
            held = Step(index=0, at=0, targets={"aggregator": dict(self.prices),
                                                "pyth": dict(self.prices)})
            async with self.lock:
                await self.e2e.step(held)
            await asyncio.sleep(3)

    async def move_pstr(self, price: str) -> None:
        async with self.lock:
            self.prices["PSTR"] = Decimal(price)
            await self.e2e.step(self.move(price))

    def __enter__(self) -> Feeds:
        self.task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.task.cancel()


@pytest.fixture
def feeds() -> type[Feeds]:
    """The Feeds helper (test modules cannot import this conftest)."""
    return Feeds


def _fast_oracle_config(
    work_dir: Path, poll_seconds: float, twap_seconds: int, rpc_url: str | None = None,
) -> Path:
    """`rpc_url`: the chain sources' RPC, when the services reach anvil through a proxy."""
    config = json.loads((work_dir / "oracle-devnet.json").read_text())
    for symbol in config["symbols"].values():
        for source in symbol["sources"]:
            source["poll_seconds"] = poll_seconds
            if rpc_url is not None and "rpc_url" in source:
                source["rpc_url"] = rpc_url
            if source["kind"] == "uniswap_v2":
                source["window_seconds"] = twap_seconds
    path = work_dir / "oracle-e2e.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def _keystore(work_dir: Path) -> tuple[Path, Path]:
    keystore, password = work_dir / "treasury-keystore.json", work_dir / "keystore-password"
    keystore.write_text(json.dumps(Account.encrypt(TREASURY_KEY, "e2e", iterations=2)))
    password.write_text("e2e\n")
    return keystore, password


@pytest.fixture
def e2e_overrides() -> dict[str, dict[str, str]]:
    """Per-service settings a test module adds to the harness's (override this fixture)."""
    return {}


@pytest.fixture
def system_options() -> dict[str, Any]:
    """Extra keyword arguments of the System (override this fixture: the chaos suite's)."""
    return {}


@pytest.fixture
async def e2e(
    tmp_path: Path, database_url: str, e2e_overrides: dict[str, dict[str, str]],
    system_options: dict[str, Any],
) -> AsyncIterator[E2E]:
    webhook, otlp = WebhookReceiver(), OtlpReceiver()
    await webhook.start()
    await otlp.start()
    bus = BusRecorder(Namespace())
    system = System(tmp_path, None, database_url, otlp_endpoint=otlp.endpoint, **system_options)
    try:
        await asyncio.to_thread(system.start_bus)
        assert system.nats_url is not None
        await bus.start(system.nats_url, system.bus_users)
        deployment = await asyncio.to_thread(system.start_chain)
        keystore, password = _keystore(tmp_path)
        channels = {sev: [webhook.url] for sev in ("critical", "warning", "info")}
        system.overrides = {
            "oracle": {"CONFIG_FILE": str(_fast_oracle_config(
                tmp_path, 0.25, 10, system.service_rpc_url))},
            "treasury": {"STATE_DEBOUNCE_SECONDS": "0.05", "CHAIN_INTERVAL_SECONDS": "1"},
            "intervention": {
                "MODE": "live", "KEYSTORE_PATH": str(keystore),
                "KEYSTORE_PASSWORD_FILE": str(password), "CONFIRMATIONS": "1",
                "EXECUTOR_INTERVAL_SECONDS": "0.2",
            },
            "alerts": {"CHANNELS": json.dumps(channels), "GROUPING": "false",
                       "TICK_SECONDS": "0.2"},
        }
        for service, extra in e2e_overrides.items():
            system.overrides = {**system.overrides,
                                service: {**system.overrides.get(service, {}), **extra}}
        await asyncio.to_thread(system.start_services)
        market = Market(connect(system.rpc_url), deployment)
        yield E2E(system, bus, webhook, otlp, market, database_url)
    finally:
        await bus.stop()  # before the system's nats-server stops under it
        await asyncio.to_thread(system.stop)
        await otlp.stop()
        await webhook.stop()
