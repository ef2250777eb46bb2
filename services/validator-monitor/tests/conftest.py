"""The Core stand-ins on the session anvil, the way the devnet installs them (`anvil_setCode` of
the committed runtime code at Core's real system addresses, MockCoreAgent at CoreAgent's
0x...1011), three registered validators, and the monitor service built against them.

Each test runs inside an evm snapshot reverted afterwards, with its own database and bus
namespace, so tests are independent and the anvil is left as found.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from ballast.common.messages import ValidatorRecommendation, ValidatorStatus
from ballast.testing.apps import started_apps
from ballast.testing.subscribing import subscribed
from ballast.validator_monitor.main import ValidatorMonitorApp, build_app
from ballast.validator_monitor.settings import ValidatorMonitorSettings

ARTIFACTS = Path(__file__).resolve().parents[3] / "contracts" / "artifacts"
STANDINS = {
    "CoreValidatorSet": "0x0000000000000000000000000000000000001000",
    "CoreSlashIndicator": "0x0000000000000000000000000000000000001001",
    "CoreCandidateHub": "0x0000000000000000000000000000000000001005",
    "CoreStakeHub": "0x0000000000000000000000000000000000001010",
    "MockCoreAgent": "0x0000000000000000000000000000000000001011",
    "Multicall3": "0xcA11bde05977b3631167028862bE2a173976CA11",
}
ACTIVE = 17
E18 = 10**18


def addr(i: int) -> str:
    return str(to_checksum_address(f"0x{i:040x}"))


@dataclass
class CoreChain:
    """The stand-ins and the few moves the tests make with them."""

    anvil: Any
    w3: Web3
    c: dict[str, Contract]
    ops: list[str]
    cons: list[str]
    us: str
    """Our delegator (a funded anvil account standing in for the StakingManager)."""

    def send(self, fn: Any, sender: str | None = None, value: int = 0) -> Any:
        tx = fn.transact({"from": sender or self.w3.eth.accounts[0], "value": value})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.005)
        assert receipt["status"] == 1
        return receipt

    @property
    def hub(self) -> Contract:
        return self.c["CoreCandidateHub"]

    @property
    def round(self) -> int:
        return int(self.hub.functions.getRoundTag().call())

    def jail(self, i: int, until_round: int) -> None:
        self.send(self.hub.functions.jail(self.ops[i], until_round))

    def set_commission(self, i: int, thousandths: int) -> None:
        self.send(self.hub.functions.setCommission(self.ops[i], thousandths))

    def slash(self, i: int, times: int) -> None:
        self.send(self.c["CoreSlashIndicator"].functions.slashTimes(self.cons[i], times))

    def set_missed(self, i: int, count: int) -> None:
        self.send(self.c["CoreSlashIndicator"].functions.setSlashIndicator(self.cons[i], count))

    def set_income(self, i: int, wei: int) -> None:
        self.send(self.c["CoreValidatorSet"].functions.setIncome(self.cons[i], wei))

    def turn_round(self) -> None:
        self.send(self.hub.functions.turnRound())

    def delegate(self, i: int, wei: int) -> None:
        self.send(self.c["MockCoreAgent"].functions.delegateCoin(self.ops[i]), self.us, wei)

    def transfer(self, src: int, dst: int, wei: int) -> None:
        self.send(self.c["MockCoreAgent"].functions.transferCoin(self.ops[src], self.ops[dst], wei),
                  self.us)

    def undelegate(self, i: int, wei: int) -> None:
        self.send(self.c["MockCoreAgent"].functions.undelegateCoin(self.ops[i], wei), self.us)


def _artifact(name: str) -> dict[str, Any]:
    return json.loads((ARTIFACTS / f"{name}.json").read_text())


@pytest.fixture
def core(anvil: Any) -> Iterator[CoreChain]:
    snapshot = anvil.snapshot()
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    contracts: dict[str, Contract] = {}
    for name, address in STANDINS.items():
        art = _artifact(name)
        anvil.rpc("anvil_setCode", address, art["deployedBytecode"])
        contracts[name] = w3.eth.contract(address=to_checksum_address(address), abi=art["abi"])
    ops = [addr(0xA000 + i) for i in range(3)]
    cons = [addr(0xC000 + i) for i in range(3)]
    fees = [addr(0xF000 + i) for i in range(3)]
    chain = CoreChain(anvil, w3, contracts, ops, cons, str(to_checksum_address(anvil.accounts[3])))
    for i in range(3):
        chain.send(contracts["CoreCandidateHub"].functions.registerCandidate(
            ops[i], cons[i], fees[i], 100, 10**22, ACTIVE))
        chain.send(contracts["CoreStakeHub"].functions.setCandidateScores(
            ops[i], 1000 * E18 * (i + 1), 0, 0))
    chain.send(contracts["CoreValidatorSet"].functions.setValidatorSet(ops, cons, fees, [100] * 3))
    yield chain
    anvil.revert(snapshot)


@dataclass
class Bus:
    """Every validators.* message of this test's namespace, decoded."""

    statuses: list[ValidatorStatus] = field(default_factory=list[ValidatorStatus])
    recommendations: list[ValidatorRecommendation] = field(
        default_factory=list[ValidatorRecommendation])
    msg_ids: list[str] = field(default_factory=list[str])

    async def on_msg(self, msg: Any) -> None:
        self.msg_ids.append((msg.headers or {}).get("Nats-Msg-Id", ""))
        if msg.subject.endswith(".validators.status"):
            self.statuses.append(ValidatorStatus.model_validate_json(msg.data))
        else:
            self.recommendations.append(ValidatorRecommendation.model_validate_json(msg.data))

    def of(self, op: str) -> list[ValidatorStatus]:
        return [s for s in self.statuses if s.operator_address == op]

    def with_change(self, kind: str) -> list[ValidatorStatus]:
        return [s for s in self.statuses if kind in s.changes]

    def clear(self) -> None:
        self.statuses.clear()
        self.recommendations.clear()


@pytest.fixture
async def bus(nats_server: Any, bus_namespace: str) -> AsyncIterator[Bus]:
    got = Bus()
    async with subscribed(nats_server.url, [f"{bus_namespace}.validators.>"], got.on_msg):
        yield got


@pytest.fixture
async def monitor_app(
    nats_server: Any, bus_namespace: str, database_url: str, core: CoreChain
) -> AsyncIterator[Callable[..., Any]]:
    """Builds and starts monitor apps (poll job off: tests call `app.core.poll()`)."""

    def build(**values: Any) -> ValidatorMonitorApp:
        return build_app(ValidatorMonitorSettings(**values), poll=False)

    async with started_apps(
        build, nats_url=nats_server.url, bus_prefix=bus_namespace, database_url=database_url,
        http_port=0, http_host="127.0.0.1", rpc_url=core.anvil.rpc_url,
        staking_manager=core.us, confirmations=0, heartbeat_interval_seconds=30,
        epoch_blocks=10**9,
    ) as make:
        yield make
