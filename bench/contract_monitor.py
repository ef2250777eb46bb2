"""Contract monitor benchmark: a backfill of ~20,000 StakeBasket-suite events from anvil.

Prints figures, never a verdict (issue #8 goal: stored and published >= 50% of raw):
- raw (aiohttp): eth_getLogs over the same block ranges and addresses, JSON parsed, nothing
  else (the monitor's own JSON-RPC client, so the transport is the same);
- raw (web3.py): `w3.eth.get_logs` over the same ranges, no decoding: what REFERENCE.md
  measured as "raw" (14,200 events/s); web3's result formatting makes it ~10x the cost of the
  aiohttp figure here;
- web3 decoding: the same logs through web3.py's per-contract event decoding (`process_log`),
  the generic path REFERENCE.md measured at 3,200 events/s, for reference;
- service: `ContractMonitor.poll()` from an empty cursor to the head, in-process over real NATS
  JetStream and Postgres: eth_getLogs, topic0 decoding, one batched INSERT per range with the
  (tx_hash, log_index) key and the cursor, every ETF event published to `etf.events.<kind>`
  with a stream ack (pipelined), then the published cursor. Events/s = stored and published
  events over the wall time of the poll; the stream and the table are counted afterwards.

The chain: the devnet deployer's suite, then BENCH_EVENTS events made by the operator's
`deployLiquidity(1 CORE)` (5 CoreDelegated + 1 LiquidityDeployed each), sent in JSON-RPC
batches with automine off and mined a hundred a block.

    .venv/bin/python bench/contract_monitor.py     # private anvil, nats-server, Postgres
    BENCH_EVENTS=50000 BENCH_ROUNDS=3 .venv/bin/python bench/contract_monitor.py
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import asyncpg
import nats
from web3 import Web3

from ballast.common.evm.artifacts import load_artifact
from ballast.contract_monitor.adapters import abi
from ballast.contract_monitor.adapters.rpc import Rpc
from ballast.contract_monitor.main import build_app
from ballast.contract_monitor.settings import ContractMonitorSettings
from ballast.devnet import deploy
from ballast.devstack.anvil import Anvil, run_anvil
from ballast.devstack.nats import run_nats_server
from ballast.devstack.postgres import run_embedded_postgres

EVENTS = int(os.environ.get("BENCH_EVENTS", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BLOCK_RANGE = int(os.environ.get("BENCH_BLOCK_RANGE", "20"))
PER_TX = 6  # deployLiquidity(CORE only): 5 x CoreDelegated + LiquidityDeployed
PER_BLOCK = int(os.environ.get("BENCH_TX_PER_BLOCK", "20"))
E18 = 10**18


def make_events(anvil: Anvil, deployment: Any) -> int:
    """Send enough deployLiquidity transactions for EVENTS events; returns the head block."""
    basket = deployment.etf.stake_basket
    admin = deployment.deployer
    rpc = Rpc(anvil.rpc_url)
    txs = -(-EVENTS // PER_TX)
    anvil.set_balance(deployment.trader, (txs + 10_000) * E18 * 2)
    anvil.send_transaction({"from": deployment.trader, "to": basket, "gas": hex(1_000_000),
                            "value": hex((txs + 1_000) * E18),
                            "data": "0x" + abi.functions("StakeBasket")["deposit"].encode(0).hex()})
    data = "0x" + abi.functions("StakeBasket")["deployLiquidity"].encode(E18, 0).hex()
    nonce = int(anvil.rpc("eth_getTransactionCount", admin, "pending"), 16)
    anvil.rpc("evm_setAutomine", False)

    async def send_all() -> None:
        sent = 0
        while sent < txs:
            chunk = min(PER_BLOCK, txs - sent)
            await rpc.batch([("eth_sendTransaction", [{
                "from": admin, "to": basket, "data": data, "gas": hex(600_000),
                "nonce": hex(nonce + sent + i), "maxFeePerGas": hex(10**11),
                "maxPriorityFeePerGas": hex(10**9)}]) for i in range(chunk)])
            await rpc.call("anvil_mine", ["0x1"])
            sent += chunk
        await rpc.close()

    asyncio.run(send_all())
    anvil.rpc("evm_setAutomine", True)
    while int(anvil.rpc("txpool_status")["pending"], 16):
        anvil.mine(1)
    return anvil.block_number()


def addresses(deployment: Any) -> list[str]:
    etf = deployment.etf
    return [etf.stake_basket, etf.staking_manager, etf.unbonding_queue,
            deployment.governance.governor, deployment.governance.timelock]


async def bench_raw(url: str, addrs: list[str], head: int) -> tuple[int, float, float]:
    """(logs, wall seconds, CPU seconds of this process)."""
    rpc = Rpc(url)
    t0, cpu = time.perf_counter(), time.process_time()
    n = 0
    for low in range(0, head + 1, BLOCK_RANGE):
        n += len(await rpc.get_logs(addrs, low, min(low + BLOCK_RANGE - 1, head)))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu
    await rpc.close()
    return n, seconds, cpu


def bench_web3_raw(url: str, deployment: Any, head: int) -> tuple[int, float]:
    """web3.py's eth_getLogs without decoding: what REFERENCE.md calls raw (14,200 events/s)."""
    w3 = Web3(Web3.HTTPProvider(url))
    t0 = time.perf_counter()
    n = 0
    for low in range(0, head + 1, BLOCK_RANGE):
        n += len(w3.eth.get_logs({"address": [Web3.to_checksum_address(a)
                                              for a in addresses(deployment)],
                                  "fromBlock": low, "toBlock": min(low + BLOCK_RANGE - 1, head)}))
    return n, time.perf_counter() - t0


def bench_web3(url: str, deployment: Any, head: int) -> tuple[int, float]:
    w3 = Web3(Web3.HTTPProvider(url))
    contracts = {
        deployment.etf.stake_basket.lower(): "StakeBasket",
        deployment.etf.staking_manager.lower(): "StakingManager",
        deployment.etf.unbonding_queue.lower(): "UnbondingQueue",
    }
    handles = {a: w3.eth.contract(abi=load_artifact(name).abi) for a, name in contracts.items()}
    by_topic: dict[tuple[str, bytes], Any] = {}
    for a, c in handles.items():
        for topic0, event in abi.LogDecoder([contracts[a]]).events.items():
            by_topic[(a, bytes.fromhex(topic0[2:]))] = getattr(c.events, event.name)()
    t0 = time.perf_counter()
    n = 0
    for low in range(0, head + 1, BLOCK_RANGE):
        for entry in w3.eth.get_logs({"address": [Web3.to_checksum_address(a) for a in contracts],
                                      "fromBlock": low,
                                      "toBlock": min(low + BLOCK_RANGE - 1, head)}):
            event = by_topic.get((str(entry["address"]).lower(), bytes(entry["topics"][0])))
            if event is not None:
                event.process_log(entry)
                n += 1
    return n, time.perf_counter() - t0


async def bench_service(url: str, deployment_file: Path, nats_url: str, admin_dsn: str,
                        head: int) -> tuple[int, int, float, float]:
    """(stored, published, wall seconds, CPU seconds of this process)."""
    db = f"bench_cm_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{db}"')
    dsn = admin_dsn.rsplit("/", 1)[0] + f"/{db}"
    prefix = f"bench{secrets.token_hex(3)}"
    values: dict[str, Any] = {
        "database_url": dsn, "nats_url": nats_url, "bus_prefix": prefix, "rpc_url": url,
        "deployment_file": deployment_file, "confirmations": 0, "block_range": BLOCK_RANGE,
        "http_port": 0, "http_host": "127.0.0.1", "log_level": "WARNING",
        "heartbeat_interval_seconds": 60}
    app = build_app(ContractMonitorSettings(**values), poll=False)
    await app.start()
    try:
        t0, cpu = time.perf_counter(), time.process_time()
        await app.core.poll()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu
        assert app.core.published == head
        stored = int(await app.service.db.fetchval(
            "SELECT count(*) FROM contract_events WHERE source = 'etf'"))
        nc = await nats.connect(nats_url)
        info = await nc.jetstream().stream_info(f"{prefix.upper()}_CHAIN")
        published = int(info.state.messages) - 1  # one etf.metrics message
        await nc.close()
    finally:
        await app.stop()
        await admin.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
        await admin.close()
    return stored, published, seconds, cpu


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>9,.0f} events/s ({n:,} in {seconds:.2f} s)"


def main() -> None:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        anvil = stack.enter_context(run_anvil(work))
        nats_url = os.environ.get("NATS_URL") or stack.enter_context(
            run_nats_server(work)).url
        admin_dsn = os.environ.get("DATABASE_URL") or stack.enter_context(
            run_embedded_postgres()).dsn
        deployment_file = work / "deployment.json"
        t0 = time.perf_counter()
        deployment = deploy(anvil.rpc_url, deployment_file)
        head = make_events(anvil, deployment)
        print(f"chain: devnet + {EVENTS:,} events target, head {head:,} "
              f"({time.perf_counter() - t0:.1f} s to build); range {BLOCK_RANGE} blocks, "
              f"{ROUNDS} rounds, medians")
        asyncio.run(bench_raw(anvil.rpc_url, addresses(deployment), head))  # warm anvil up
        raws, web3_raws, web3s, services = [], [], [], []
        for _ in range(ROUNDS):
            raws.append(asyncio.run(bench_raw(anvil.rpc_url, addresses(deployment), head)))
            web3_raws.append(bench_web3_raw(anvil.rpc_url, deployment, head))
            web3s.append(bench_web3(anvil.rpc_url, deployment, head))
            services.append(asyncio.run(bench_service(
                anvil.rpc_url, deployment_file, nats_url, admin_dsn, head)))
        raw_n, raw_s = raws[0][0], statistics.median(s for _, s, _ in raws)
        w3_n, w3_s = web3s[0][0], statistics.median(s for _, s in web3s)
        w3r_n, w3r_s = web3_raws[0][0], statistics.median(s for _, s in web3_raws)
        stored, published, svc_s = services[0][0], services[0][1], statistics.median(
            s for _, _, s, _ in services)
        raw_cpu = statistics.median(c for _, _, c in raws)
        svc_cpu = statistics.median(c for _, _, _, c in services)
        svc_rate = stored / svc_s
        print(f"raw eth_getLogs, aiohttp JSON   {rate(raw_n, raw_s)}")
        print(f"raw eth_getLogs, web3.py        {rate(w3r_n, w3r_s)}   (REFERENCE.md's raw)")
        print(f"web3.py event decoding          {rate(w3_n, w3_s)}")
        print(f"service stored + published      {rate(stored, svc_s)}")
        print(f"  = {svc_rate / (raw_n / raw_s):.0%} of aiohttp raw, "
              f"{svc_rate / (w3r_n / w3r_s):.0%} of web3 raw, "
              f"{svc_rate / (w3_n / w3_s):.1f}x web3 decoding; "
              f"published {published:,}, stored {stored:,}")
        print("rounds, aiohttp raw s / web3 raw s / service s: " + ", ".join(
            f"{r[1]:.2f}/{w[1]:.2f}/{s[2]:.2f}"
            for r, w, s in zip(raws, web3_raws, services, strict=True)))
        print(f"CPU of this process per event (anvil, NATS and Postgres are other processes): "
              f"aiohttp raw {raw_cpu / raw_n * 1e6:.1f} us, service {svc_cpu / stored * 1e6:.1f} "
              f"us; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
