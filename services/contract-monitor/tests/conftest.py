"""The devnet (the deployer's StakeBasket suite, governance and Multicall3) on the session anvil,
once per module and reverted afterwards; each test inside its own evm snapshot, database and bus
namespace; and the contract monitor built against them with the poll job off."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import pytest

from ballast.common.messages import (
    EtfEvent,
    EtfMetrics,
    GovernanceProposal,
    StrategyParameterChanged,
)
from ballast.contract_monitor.adapters import abi
from ballast.contract_monitor.main import ContractMonitorApp, build_app
from ballast.contract_monitor.settings import ContractMonitorSettings
from ballast.devnet import Deployment
from ballast.testing.apps import started_apps
from ballast.testing.devnet import deployed_devnet, reverted


@dataclass
class Devnet:
    anvil: Any
    deployment: Deployment
    path: Path

    def send(self, sender: str, to: str, contract: str, fn: str, *args: Any,
             value: int = 0) -> dict[str, Any]:
        data = abi.functions(contract)[fn].encode(*args)
        receipt = self.anvil.send_transaction(
            {"from": sender, "to": to, "data": "0x" + data.hex(), "value": hex(value),
             "gas": hex(3_000_000)})
        assert int(receipt["status"], 16) == 1, f"{fn} reverted"
        return receipt

    def view(self, to: str, contract: str, fn: str, *args: Any, block: str = "latest") -> Any:
        f = abi.functions(contract)[fn]
        result = self.anvil.rpc("eth_call", {"to": to, "data": "0x" + f.encode(*args).hex()},
                                block)
        return f.decode(bytes.fromhex(result[2:]))

    @property
    def trader(self) -> str:
        return self.deployment.trader

    @property
    def admin(self) -> str:
        return self.deployment.deployer

    def deposit(self, wei: int) -> dict[str, Any]:
        return self.send(self.trader, self.deployment.etf.stake_basket, "StakeBasket", "deposit",
                         0, value=wei)

    def withdraw(self, shares: int, asset: int = 0) -> dict[str, Any]:
        return self.send(self.trader, self.deployment.etf.stake_basket, "StakeBasket",
                         "withdraw", shares, asset, 0)

    def logs(self, from_block: int = 0) -> list[dict[str, Any]]:
        etf = self.deployment.etf
        return self.anvil.rpc("eth_getLogs", {
            "address": [etf.stake_basket, etf.staking_manager, etf.unbonding_queue],
            "fromBlock": hex(from_block), "toBlock": "latest"})


@pytest.fixture(scope="module")
def deployed(anvil: Any, tmp_path_factory: pytest.TempPathFactory) -> Generator[Devnet]:
    with deployed_devnet(anvil, tmp_path_factory.mktemp("devnet")) as (deployment, path):
        yield Devnet(anvil, deployment, path)


@pytest.fixture
def devnet(deployed: Devnet) -> Iterator[Devnet]:
    with reverted(deployed.anvil):
        yield deployed


@dataclass
class Seen:
    """Every etf.* and governance.* message of this test's namespace, decoded."""

    events: list[EtfEvent] = field(default_factory=list[EtfEvent])
    metrics: list[EtfMetrics] = field(default_factory=list[EtfMetrics])
    proposals: list[GovernanceProposal] = field(default_factory=list[GovernanceProposal])
    parameters: list[StrategyParameterChanged] = field(
        default_factory=list[StrategyParameterChanged])
    msg_ids: list[str] = field(default_factory=list[str])
    event_ids: list[str] = field(default_factory=list[str])  # Nats-Msg-Id of each of `events`

    async def on_msg(self, msg: Any) -> None:
        self.msg_ids.append((msg.headers or {}).get("Nats-Msg-Id", ""))
        if ".etf.events." in msg.subject:
            self.events.append(EtfEvent.model_validate_json(msg.data))
            self.event_ids.append(self.msg_ids[-1])
            return
        found: list[Any]
        for suffix, found, model in (
            (".etf.metrics", self.metrics, EtfMetrics),
            (".governance.parameters", self.parameters, StrategyParameterChanged),
            ("", self.proposals, GovernanceProposal),  # governance.proposals.*
        ):
            if msg.subject.endswith(suffix):
                found.append(model.model_validate_json(msg.data))
                return


async def stream_contents(nats_url: str, namespace: str, quiet: float = 0.3) -> Seen:
    """Everything the namespace's CHAIN stream kept, in order, through an ordered consumer:
    what a consumer will see, with duplicates already dropped by msg id (a core subscription
    would also see the publishes JetStream dropped)."""
    nc = await nats.connect(nats_url)
    got = Seen()
    last = [time.monotonic()]

    async def on_msg(msg: Any) -> None:
        last[0] = time.monotonic()
        await got.on_msg(msg)

    try:
        js = nc.jetstream()
        sub = await js.subscribe(f"{namespace}.>", cb=on_msg, ordered_consumer=True,
                                 stream=f"{namespace.upper()}_CHAIN")
        while time.monotonic() - last[0] < quiet:
            await asyncio.sleep(0.05)
        await sub.unsubscribe()
    finally:
        await nc.close()
    return got


@pytest.fixture
def seen(nats_server: Any, bus_namespace: str) -> Callable[[], Any]:
    async def read() -> Seen:
        return await stream_contents(nats_server.url, bus_namespace)

    return read


@pytest.fixture
async def monitor_app(
    nats_server: Any, bus_namespace: str, database_url: str, devnet: Devnet
) -> AsyncIterator[Callable[..., Any]]:
    """Builds and starts monitor apps (poll job off: tests call `app.core.poll()`)."""

    def build(**values: Any) -> ContractMonitorApp:
        return build_app(ContractMonitorSettings(**values), poll=False)

    async with started_apps(
        build, nats_url=nats_server.url, bus_prefix=bus_namespace, database_url=database_url,
        http_port=0, http_host="127.0.0.1", rpc_url=devnet.anvil.rpc_url,
        deployment_file=str(devnet.path), confirmations=0, heartbeat_interval_seconds=30,
    ) as make:
        yield make

