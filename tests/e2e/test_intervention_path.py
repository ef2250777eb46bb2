"""The intervention path end to end (issue #10): six services as processes, one devnet.

crash          PSTR falls on every source -> prices.consensus -> treasury.state at tier 1 ->
               a live intervention -> one confirmed PUMP->PSTR swap on-chain ->
               intervention.executed -> an info page on the webhook; one trace from the oracle
               to the page; every /metrics scraped and every metric the dashboards and rules
               name found in those scrapes.
oracle-attack  the DEX pumped +50% while aggregator and Pyth hold: no intervention, and a
               warning page naming the DEX source.
restart        the crash again, with the treasury killed mid-fall and the intervention service
               killed the moment it decides: one swap, one executed, one page.
pump           PSTR pumped 10x on every market source (MockPyth, the local Hermes and
               Crossbar, every pool) while the aggregator (the anchor) holds: the consensus
               follows the venues but is never OK far from the anchor, the treasury never
               values PSTR there as OK, nothing is bought or swapped (Mango 2022).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from ballast.cli.scenarios.model import Step
from ballast.devnet.deployer import TREASURY_KEY
from ballast.testing.receivers import OtlpReceiver, ReceivedSpan

SWAP_TOPIC = Web3.keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex()
PATH = ["ballast-oracle", "ballast-treasury", "ballast-intervention", "ballast-alerts"]


@pytest.fixture
def e2e_overrides() -> dict[str, dict[str, str]]:
    """This module is the PSTR intervention path alone: the treasury's liquidity actions and the
    StakeBasket book actions (test_compressed_day.py) are off, so the
    intervention's swap is the only transaction the treasury account sends."""
    return {"treasury": {"LIQUIDITY_ACTIONS": "false"},
            "intervention": {"BASKET_ACTIONS": "false"}}


def treasury_address() -> str:
    return str(Account.from_key(TREASURY_KEY).address)


def swaps_to(e2e: Any, to: str) -> list[Any]:
    """Swap logs on the PSTR-PUMP pair whose recipient is `to`."""
    pair = e2e.system.deployment.pools["PSTR-PUMP"].pair
    w3 = e2e.market.w3
    return list(w3.eth.get_logs({
        "address": Web3.to_checksum_address(pair), "fromBlock": 0, "toBlock": "latest",
        "topics": ["0x" + SWAP_TOPIC.removeprefix("0x"), None,
                   "0x" + "0" * 24 + to.lower().removeprefix("0x")],
    }))


def latest_state(e2e: Any) -> dict[str, Any] | None:
    states = e2e.bus.on("treasury.state")
    return states[-1] if states else None


def acted(e2e: Any) -> list[dict[str, Any]]:
    return [d for d in e2e.bus.on("intervention.decided") if d["action"] == "act"]


async def start_calm(e2e: Any) -> None:
    """History behind the VWAP, fresh feeds, and a first OK state at tier 0.

    The treasury publishes its state when a consensus changes (and every 5 minutes): the history
    must be in before the calm step moves the prices, or the first states have no VWAP yet.
    """
    await e2e.seed_vwap_history()
    await e2e.wait_rows("SELECT count(*) FROM treasury_vwap_trades", 30)
    await e2e.step(e2e.steps("calm", 1)[0])

    def calm_state() -> bool:
        s = latest_state(e2e)
        return (s is not None and s["status"] == "OK" and s["tier"] == 0
                and s["vwap_30d"] is not None and abs(Decimal(s["vwap_30d"]) - 1) < Decimal("0.01"))

    await e2e.wait(calm_state, 60, "treasury.state OK at tier 0 with the 30-day VWAP at $1")


async def crash_until_act(e2e: Any, on_step: Any = None) -> dict[str, Any]:
    """Drive `crash` one step at a time until the intervention service acts."""
    for step in e2e.steps("crash"):
        await e2e.step(step)
        price = step.price("aggregator", "PSTR")
        await e2e.wait(lambda p=price: (s := latest_state(e2e)) is not None
                       and abs(Decimal(s["pstr_price"] or 0) - p) < Decimal("0.005"),
                       30, f"treasury.state at PSTR {price}")
        if on_step is not None:
            await on_step(step)
        if acted(e2e):
            return acted(e2e)[0]
        await e2e.wait(lambda p=price: decided_at(e2e, p), 15, f"a decision on PSTR {price}")
        if acted(e2e):
            return acted(e2e)[0]
    raise AssertionError("the crash ran out of steps without an intervention")


def decided_at(e2e: Any, price: Decimal) -> bool:
    return any(d["inputs"]["price"] is not None
               and abs(Decimal(d["inputs"]["price"]) - price) < Decimal("0.005")
               for d in e2e.bus.on("intervention.decided"))


def describe_deliveries(otlp: OtlpReceiver) -> str:
    return "\n".join(" <- ".join(f"{s.service}:{s.name}" for s in reversed(otlp.ancestry(d)))
                     for d in otlp.spans if d.name == "alerts deliver")


def causal_chain(otlp: OtlpReceiver) -> list[ReceivedSpan] | None:
    """The ancestry of an alerts delivery span that runs oracle -> ... -> alerts, if any."""
    for span in otlp.spans:
        if span.name != "alerts deliver":
            continue
        chain = otlp.ancestry(span)
        services = [s.service for s in chain]
        order = [svc for i, svc in enumerate(services) if i == 0 or services[i - 1] != svc]
        if order == PATH:
            return chain
    return None


async def test_crash__price_through_tier_1__one_swap_one_page_one_trace(e2e: Any) -> None:
    treasury = treasury_address()
    await start_calm(e2e)
    decision = await crash_until_act(e2e)
    assert decision["inputs"]["tier"] == 1 and decision["mode"] == "live"

    executed = await e2e.wait(
        lambda: [x for x in e2e.bus.on("intervention.executed") if x["status"] == "confirmed"],
        60, "intervention.executed confirmed")
    assert len(executed) == 1 and executed[0]["decision_id"] == decision["decision_id"]
    await e2e.wait(lambda: any(decision["decision_id"] in str(r["body"])
                               for r in e2e.webhook.requests), 30, "the page on the webhook")

    # on-chain: exactly one swap for the treasury, the one the message names
    logs = swaps_to(e2e, treasury)
    assert len(logs) == 1
    assert logs[0]["transactionHash"].hex().removeprefix("0x") == \
        executed[0]["tx_hash"].removeprefix("0x")
    assert int(executed[0]["amount_out_raw"]) > 0

    # Postgres: the decision, its transaction, the snapshots and the page
    rows = await e2e.fetch("SELECT decision_id, phase, mined_hash FROM intervention_decisions"
                           " WHERE kind = 'intervention' AND action = 'act'")
    assert [(r["decision_id"], r["phase"]) for r in rows] == \
        [(decision["decision_id"], "confirmed")]
    txs = await e2e.fetch("SELECT tx_hash FROM intervention_txs WHERE decision_id = $1",
                          decision["decision_id"])
    assert rows[0]["mined_hash"] in {t["tx_hash"] for t in txs}
    tiers = await e2e.fetch("SELECT DISTINCT tier FROM treasury_snapshots")
    assert {0, 1} <= {t["tier"] for t in tiers}
    pages = await e2e.fetch("SELECT rule FROM alerts_history WHERE key LIKE $1",
                            f"%{decision['decision_id']}%")
    assert "intervention_executed" in {p["rule"] for p in pages}

    # one trace: the page's delivery descends from the oracle's consensus, through the
    # treasury's state and the intervention's decision and swap
    try:
        chain = await e2e.wait(lambda: causal_chain(e2e.otlp), 20, "one trace oracle -> alerts")
    except AssertionError as err:
        raise AssertionError(f"deliveries' ancestries:\n{describe_deliveries(e2e.otlp)}\n"
                             f"services seen: {sorted({s.service for s in e2e.otlp.spans})}"
                             ) from err
    starts = [s.start_ns for s in chain]
    assert starts == sorted(starts)
    trace = e2e.otlp.trace(chain[0].trace_id)
    names = {s.name for s in trace}
    assert {"treasury recompute", "intervention broadcast", "intervention publish"} <= names
    assert {s.attributes.get("ballast.decision_id") for s in trace} >= {decision["decision_id"]}

    # every service's /metrics answered during the run, and names what the dashboards use
    scraped = {name: e2e.system.scrape(name) for name in e2e.system.processes}
    assert all("ballast_heartbeats" in text or "ballast_bus" in text
               for text in scraped.values()), list(scraped)
    assert_dashboard_metrics_exported(scraped)

    # same code, same answer (issue 14): the backtest's replay of this run's bus decides alike
    assert_backtest_replay_decides_alike(e2e)


def assert_backtest_replay_decides_alike(e2e: Any) -> None:
    """ballast.backtest.replay, fed with the recorded consensus prices, trades and the holdings
    each treasury.state carries, takes every recorded intervention.decided again: act or blocked,
    tier and amount identical."""
    from ballast.backtest.replay import Replay  # noqa: PLC0415
    from ballast.strategy.policy import Policy  # noqa: PLC0415
    from ballast.strategy.settings import strategy_from_env  # noqa: PLC0415

    replay = Replay(Policy(params=strategy_from_env().params()))
    fingerprints = {s.get("strategy_fingerprint") for s in e2e.bus.on("treasury.state")}
    assert fingerprints == {replay.policy.params.fingerprint()}
    for subject, body, _ in list(e2e.bus.seen):
        replay.feed(subject, body)
    actions = [recorded.action.value for recorded, _ in replay.pairs]
    assert len(actions) == len(e2e.bus.on("intervention.decided"))
    assert "act" in actions and "blocked" in actions
    assert replay.mismatches() == []


def assert_dashboard_metrics_exported(scraped: dict[str, str]) -> None:
    from prometheus_names import exposed_names, unknown_names  # noqa: PLC0415

    exposed: set[str] = set()
    for text in scraped.values():
        exposed |= exposed_names(text)
    assert unknown_names(exposed) == set()


async def test_oracle_attack__dex_pumped__no_intervention_and_a_warning_naming_it(
    e2e: Any,
) -> None:
    treasury = treasury_address()
    await start_calm(e2e)

    def warned() -> list[dict[str, Any]]:  # (the Crossbar, whose oracles include the pools,
        # turns UNCERTAIN and may be paged first: the page that counts names the DEX TWAP)
        return [r["body"] for r in e2e.webhook.requests
                if all(w in str(r["body"]) for w in ("oracle_deviation", "dex_twap", "PSTR"))]

    for step in e2e.steps("oracle-attack", count=40):  # a step a second, as `ballast scenario`
        await e2e.step(step)
        if warned():
            break
        await asyncio.sleep(1)
    pages = await e2e.wait(warned, 20, "a warning page on the PSTR deviation")
    seen = e2e.bus.on("prices.consensus.PSTR")
    flagged = {s["source"] for c in seen for s in c["sources"] if "deviant" in s["flags"]}
    assert flagged == {"dex_twap"} and "dex_twap" in str(pages)
    assert abs(Decimal(seen[-1]["price"]) - 1) < Decimal("0.01")  # the honest price
    assert acted(e2e) == []
    assert swaps_to(e2e, treasury) == []
    rows = await e2e.fetch("SELECT count(*) AS n FROM intervention_decisions "
                           "WHERE action = 'act' AND kind = 'intervention'")
    assert rows[0]["n"] == 0  # (the hourly accumulation acts: it is not an intervention)


async def test_restart__treasury_and_intervention_killed_mid_crash__nothing_lost_or_twice(
    e2e: Any,
) -> None:
    treasury = treasury_address()
    await start_calm(e2e)
    killed: list[str] = []

    async def kill_treasury_once(step: Step) -> None:
        if step.index == 2 and not killed:
            await asyncio.to_thread(e2e.system.restart, "treasury")
            killed.append("treasury")

    decision = await crash_until_act(e2e, on_step=kill_treasury_once)
    await asyncio.to_thread(e2e.system.restart, "intervention")
    executed = await e2e.wait(
        lambda: [x for x in e2e.bus.on("intervention.executed") if x["status"] == "confirmed"],
        60, "intervention.executed confirmed after the restart")
    await e2e.wait(lambda: any(decision["decision_id"] in str(r["body"])
                               for r in e2e.webhook.requests), 30, "the page on the webhook")
    # a few more steps: the restarted services keep deciding, and decide no second swap
    for step in e2e.steps("crash")[8:10]:
        await e2e.step(step)
    await e2e.wait(lambda: len(e2e.bus.on("intervention.decided")) > len(acted(e2e)) + 2, 30,
                   "decisions after the intervention")

    assert killed == ["treasury"]
    assert len(swaps_to(e2e, treasury)) == 1
    assert Counter(x["decision_id"] for x in executed) == Counter({decision["decision_id"]: 1})
    assert len({x["decision_id"] for x in e2e.bus.on("intervention.executed")}) == 1
    pages = [r for r in e2e.webhook.requests if decision["decision_id"] in str(r["body"])]
    assert len({i for r in pages for i in r["ids"]}) == 1
    rows = await e2e.fetch("SELECT count(*) AS n FROM intervention_decisions"
                           " WHERE kind = 'intervention' AND action = 'act'")
    assert rows[0]["n"] == 1



async def test_pump__every_market_source_pumped__never_ok_far_from_the_anchor_nothing_done(
    e2e: Any,
) -> None:
    treasury = treasury_address()
    await start_calm(e2e)
    anchor = e2e.market.aggregator("PSTR")[0]
    tolerance = Decimal("0.10")  # the oracle's default anchor_max_move

    def far(price: str | None) -> bool:
        return price is not None and abs(Decimal(price) / anchor - 1) > tolerance

    steps = e2e.steps("pump", count=30)  # x10 in 30 steps of ~8%: each under the jump guard
    pump_from = len(e2e.bus.seen)
    for step in steps:
        await e2e.step(step)
        await asyncio.sleep(1)
    top = steps[-1].price("pyth", "PSTR")
    assert top is not None and top > anchor * 9

    def held_at_top() -> list[dict[str, Any]]:
        return [c for c in e2e.bus.on("prices.consensus.PSTR")
                if c["status"] == "DEGRADED" and far(c["price"])
                and Decimal(c["price"]) > anchor * 5
                and c["reasons"][0].startswith("correlated move")]

    await e2e.wait(held_at_top, 30, "a DEGRADED PSTR consensus near the pumped price")
    await asyncio.sleep(3)  # let the treasury and the intervention service see it
    seen = e2e.bus.on("prices.consensus.PSTR")
    assert [c for c in seen if c["status"] == "OK" and far(c["price"])] == []
    last = seen[-1]
    sources = {s["source"]: s for s in last["sources"]}
    assert {"pyth", "switchboard", "pyth_onchain", "chainlink"} <= set(sources)
    assert "deviant" in sources["chainlink"]["flags"]  # the anchor disagrees with the venues
    assert sources["pyth"]["used"] and Decimal(sources["pyth"]["price"]) > anchor * 9
    states = e2e.bus.on("treasury.state")
    assert [s for s in states if s["status"] == "OK" and far(s["pstr_price"])] == []
    assert acted(e2e) == []
    # the treasury asks for its hourly accumulation on a schedule (it may fall in the pump):
    # none may be asked on a state that valued PSTR at the pumped price as OK
    earlier = [b for subject, b, _ in e2e.bus.seen[:pump_from] if subject == "treasury.state"]
    state: dict[str, Any] | None = earlier[-1] if earlier else None
    for subject, body, _ in e2e.bus.seen[pump_from:]:
        if subject == "treasury.state":
            state = body
        elif subject == "automation.requested.accumulate":
            assert state is None or state["status"] != "OK" or not far(state["pstr_price"])
    assert swaps_to(e2e, treasury) == []
    rows = await e2e.fetch("SELECT count(*) AS n FROM intervention_decisions "
                           "WHERE action = 'act' AND kind = 'intervention'")
    assert rows[0]["n"] == 0  # (an hourly accumulation may act on an OK state before the pump)
    metrics = e2e.system.scrape("oracle")
    assert 'ballast_oracle_consensus_checks_failed_total{check="correlated_move",symbol="PSTR"}' \
        in metrics
