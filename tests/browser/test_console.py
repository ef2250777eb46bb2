"""The web console and the investor page in headless chromium, against the whole system.

One story on one devnet (see conftest.py), in order:
price     the console loads, connected, and the PSTR consensus price on screen follows the market
          (also at 390 px); an operator acknowledges an open alert and silences it; the treasury
          & risk page shows holdings
approve   a crash makes an intervention over the approval threshold: it shows as pending, an
          operator clicks Approve, the page shows it executed with its transaction hash, on-chain
deposit   an investor deposits CORE with a devnet test account and sees BASKET minted; the
          deposit shows on the ETF page; then coreBTC (from the devnet's faucet, approved, then
          deposited) mints BASKET too
queue     a withdrawal larger than the buffer is queued: the page shows its position and wait
keyboard  Tab reaches the navigation with a visible focus ring; Enter opens the Oracle &
          validators page (sources and validators); Tab reaches a page's button and Enter sends it
reconnect the stream is cut and refused for a while: the badge says reconnecting, then connected,
          and the page is live again
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from eth_account import Account
from playwright.async_api import Page, WebSocketRoute, expect
from web3 import Web3

from ballast.devnet.deployer import DEPLOYER_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]
WAIT_MS = 30_000
INVESTOR = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # anvil account 3, offered by the page
DEPOSIT_CORE = 1000


def shown_price(text: str) -> Decimal:
    return Decimal(text.strip().removeprefix("$").replace(",", ""))


async def test_console__scenario_moves_pstr__price_on_screen_follows(stack: Any) -> None:
    e2e = stack.e2e
    page = await stack.page("overview")
    await expect(page.get_by_test_id("connection")).to_have_text("connected", timeout=WAIT_MS)
    await e2e.seed_vwap_history()
    await e2e.wait_rows("SELECT count(*) FROM treasury_vwap_trades", 30)
    calm = e2e.steps("calm", 1)[0]
    await e2e.step(calm)
    price = page.get_by_test_id("price-PSTR")
    await expect(price).to_have_text(re.compile(r"^\$0?\.9|^\$1\.0"), timeout=WAIT_MS)
    before = shown_price(await price.inner_text())

    step = e2e.steps("crash")[1]  # the crash's first fall
    await e2e.step(step)
    target = step.price("aggregator", "PSTR")
    await stack.until(lambda: _near(page, target), 30, f"PSTR near {target} on screen")
    after = shown_price(await price.inner_text())
    assert after < before
    await page.screenshot(path=str(stack.shots / "console-overview.png"), full_page=True)

    # an operator acknowledges an open alert from the overview (control.ack through the gateway)
    # and silences it. A per-source deviation alert can resolve within seconds as the sources
    # move: another open alert is taken when there is one.
    await expect(page.locator("li[data-key]").first).to_be_visible(timeout=WAIT_MS)
    keys: list[str] = await page.locator("li[data-key]").evaluate_all(
        "els => els.map(e => e.dataset.key)")
    key = next((k for k in keys if not k.startswith("oracle_deviation")), keys[0])
    alert = page.locator(f"li[data-key={json.dumps(key)}]")
    await alert.get_by_role("button", name="Acknowledge").click()
    await expect(page.get_by_test_id("alert-message")).to_have_text("ack sent", timeout=WAIT_MS)
    await expect(alert.get_by_test_id("acknowledged")).to_contain_text(
        "acknowledged by local", timeout=WAIT_MS)
    await expect(alert.get_by_role("button", name="Acknowledge")).to_have_count(0)
    acked = await e2e.fetch("SELECT acknowledged, acknowledged_by FROM alerts_state WHERE key = $1",
                            key)
    assert [(r["acknowledged"], r["acknowledged_by"]) for r in acked] == [(True, "local")]
    await alert.get_by_role("button", name="Silence 2 h").click()
    await expect(page.get_by_test_id("alert-message")).to_have_text("silence sent",
                                                                    timeout=WAIT_MS)
    silences = "SELECT s.created_by FROM alerts_silences s JOIN alerts_state a" \
               " ON a.key = s.matchers->>'key'"
    await stack.until(lambda: e2e.fetch(silences), 30, "the silence in alerts_silences")
    assert [r["created_by"] for r in await e2e.fetch(silences)] == ["local"]
    phone = await stack.page("overview", width=390, height=844)
    await expect(phone.get_by_test_id("price-PSTR")).to_have_text(f"${after:.4f}", timeout=WAIT_MS)
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await phone.screenshot(path=str(stack.tmp / "console-overview-390.png"), full_page=True)

    risk = await stack.page("risk")
    await expect(risk.get_by_test_id("holdings")).to_contain_text("PUMP", timeout=WAIT_MS)
    await risk.screenshot(path=str(stack.tmp / "console-risk.png"), full_page=True)


async def _near(page: Any, target: Decimal) -> bool:
    text = await page.get_by_test_id("price-PSTR").inner_text()
    try:
        return abs(shown_price(text) - target) < Decimal("0.005")
    except ArithmeticError:
        return False


async def test_console__intervention_over_threshold__approved_in_page_and_mined(
    stack: Any,
) -> None:
    e2e = stack.e2e
    page = await stack.page("interventions")
    approve = page.get_by_role("button", name="Approve")
    for step in e2e.steps("crash")[2:]:
        await e2e.step(step)
        price = step.price("aggregator", "PSTR")
        await e2e.wait(lambda p=price: _decided_at(e2e, p), 30, f"a decision on PSTR {price}")
        if any(d["action"] == "act" for d in e2e.bus.on("intervention.decided")):
            break
    decision = next(d for d in e2e.bus.on("intervention.decided") if d["action"] == "act")
    assert decision["requires_approval"] is True
    row = page.get_by_test_id(f"decision-{decision['decision_id']}")
    await expect(row.get_by_text("pending approval")).to_be_visible(timeout=WAIT_MS)
    await page.screenshot(path=str(stack.tmp / "console-pending.png"), full_page=True)
    await row.get_by_role("button", name="Approve").click()
    await expect(page.get_by_test_id("control-message")).to_have_text("approve sent",
                                                                  timeout=WAIT_MS)
    await expect(row).to_have_attribute("data-phase", "confirmed", timeout=60_000)
    tx_hash = (await row.get_by_test_id("tx-hash").inner_text()).strip()
    assert re.fullmatch(r"0x[0-9a-f]{64}", tx_hash), tx_hash
    await expect(approve).to_have_count(0)
    receipt = e2e.market.w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    assert receipt["from"] == Account.from_key(_treasury_key()).address
    await page.screenshot(path=str(stack.shots / "console-interventions.png"), full_page=True)


def _treasury_key() -> str:
    from ballast.devnet.deployer import TREASURY_KEY  # noqa: PLC0415
    return TREASURY_KEY


def _decided_at(e2e: Any, price: Decimal) -> bool:
    return any(d["inputs"]["price"] is not None
               and abs(Decimal(d["inputs"]["price"]) - price) < Decimal("0.005")
               for d in e2e.bus.on("intervention.decided"))


async def test_invest__deposit_with_test_account__basket_minted_and_on_etf_page(
    stack: Any,
) -> None:
    page = await stack.page("invest", width=390, height=844)
    await page.get_by_role("button", name="Use anvil account 3").click()
    await expect(page.get_by_test_id("account")).to_have_text(INVESTOR, timeout=WAIT_MS)
    await expect(page.get_by_test_id("basket-balance")).to_have_text("0 BASKET", timeout=WAIT_MS)
    await _deposit(page, str(DEPOSIT_CORE), f"{DEPOSIT_CORE:,} CORE", "0 BASKET")
    await page.screenshot(path=str(stack.tmp / "invest-deposit-390.png"), full_page=True)

    etf = await stack.page("etf")
    events = etf.get_by_test_id("etf-events")
    await expect(events).to_contain_text(re.compile(rf"deposit {INVESTOR}", re.IGNORECASE),
                                         timeout=WAIT_MS)
    await expect(events).to_contain_text(f"{DEPOSIT_CORE:,} CORE")
    await etf.screenshot(path=str(stack.tmp / "etf-deposit.png"), full_page=True)

    # coreBTC: the devnet's faucet, then a deposit (the page approves the basket first)
    basket_before = await page.get_by_test_id("basket-balance").inner_text()
    await page.get_by_test_id("deposit-asset").select_option(label="coreBTC")
    await page.get_by_role("button", name="Get 0.1 test coreBTC").click()
    await expect(page.get_by_test_id("corebtc-balance")).to_have_text("0.1 coreBTC",
                                                                      timeout=WAIT_MS)
    await _deposit(page, "0.05", "0.05 coreBTC", basket_before)
    await expect(page.get_by_test_id("corebtc-balance")).to_have_text("0.05 coreBTC",
                                                                      timeout=WAIT_MS)
    await page.screenshot(path=str(stack.tmp / "invest-corebtc-390.png"), full_page=True)


async def _deposit(page: Page, amount: str, shown: str, basket_before: str) -> None:
    """Enter `amount`, see the NAV and the BASKET to be minted first, deposit, see it minted."""
    unit = shown.split()[-1]
    await page.get_by_test_id("deposit-amount").fill(amount)
    await expect(page.get_by_test_id("deposit-preview")).to_contain_text(
        re.compile(rf"At \$[\d,.]+ per share and {unit} at \$[\d,.]+: about [\d,.]+ BASKET minted"),
        timeout=WAIT_MS)
    await page.get_by_role("button", name="Deposit", exact=True).click()
    await expect(page.get_by_test_id("tx-status")).to_contain_text(
        re.compile(rf"Deposited {re.escape(shown)}: minted [\d,.]+ BASKET"), timeout=WAIT_MS)
    await expect(page.get_by_test_id("basket-balance")).not_to_have_text(basket_before,
                                                                        timeout=WAIT_MS)


async def test_invest__withdrawal_over_the_buffer__queued_with_position_and_wait(
    stack: Any,
) -> None:
    # the operators stake the CORE buffer but 10 CORE (deployLiquidity, as the devnet's admin)
    w3 = stack.e2e.market.w3
    basket = w3.eth.contract(address=Web3.to_checksum_address(
        stack.e2e.system.deployment.etf.stake_basket), abi=BASKET_ABI)
    free_core = basket.functions.availableLiquidity().call()[0]
    admin = Account.from_key(DEPLOYER_KEY).address
    tx = basket.functions.deployLiquidity(free_core - 10 * 10**18, 0).transact({"from": admin})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    page = await stack.page("invest")
    await page.get_by_role("button", name="Use anvil account 3").click()
    balance = page.get_by_test_id("basket-balance")
    await expect(balance).not_to_have_text(re.compile("^(—|0 BASKET)$"), timeout=WAIT_MS)
    await page.get_by_role("button", name="Max").click()  # the whole balance, to the wei
    await expect(page.get_by_test_id("withdraw-preview")).to_contain_text("Queued",
                                                                         timeout=WAIT_MS)
    await page.get_by_role("button", name="Request withdrawal").click()
    await expect(page.get_by_test_id("tx-status")).to_contain_text(
        re.compile(r"Queued as request #\d+"), timeout=WAIT_MS)
    queued = page.get_by_test_id("queued")
    await expect(queued).to_contain_text(
        re.compile(r"position \d+ in line, expected wait (6|7) d"), timeout=WAIT_MS)
    await page.screenshot(path=str(stack.tmp / "invest-queued.png"), full_page=True)


async def test_console__keyboard__tab_reaches_nav_and_buttons_enter_activates(
    stack: Any,
) -> None:
    page = await stack.page("overview")
    await expect(page.get_by_test_id("connection")).to_have_text("connected", timeout=WAIT_MS)
    await page.locator("body").focus()
    # Tab from the top: the navigation's links come first, each with a visible focus ring
    reached = await _tab_until(page, "Oracle & validators", 15)
    assert reached[:2] == ["Overview", "Treasury & risk"], reached
    assert await page.evaluate("document.activeElement.matches(':focus-visible')")
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), outline
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"#/oracle$"))
    await expect(page.get_by_test_id("oracle-PSTR")).to_contain_text("used", timeout=WAIT_MS)
    await expect(page.get_by_test_id("validators").locator("tbody tr")).not_to_have_count(
        0, timeout=WAIT_MS)
    await page.screenshot(path=str(stack.tmp / "console-oracle.png"), full_page=True)

    # on the interventions page, Tab reaches the operator's Resume button; Enter sends it
    await page.goto(f"{stack.gateway_url}/#/interventions")
    await expect(page.get_by_role("button", name="Resume")).to_be_visible(timeout=WAIT_MS)
    await page.locator("body").focus()
    await _tab_until(page, "Resume", 30)
    assert await page.evaluate("document.activeElement.matches(':focus-visible')")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("control-message")).to_have_text("resume sent",
                                                                      timeout=WAIT_MS)


async def _tab_until(page: Page, text: str, presses: int) -> list[str]:
    """Press Tab until the focused element's text is `text`; the texts focused on the way."""
    seen: list[str] = []
    for _ in range(presses):
        await page.keyboard.press("Tab")
        seen.append((await page.evaluate("document.activeElement?.textContent ?? ''")).strip())
        if seen[-1] == text:
            return seen
    raise AssertionError(f"Tab did not reach {text!r} in {presses} presses: {seen}")


async def test_console__stream_cut__reconnecting_then_connected_and_live(stack: Any) -> None:
    sockets: list[WebSocketRoute] = []
    refuse = True

    async def through_the_gateway(ws: WebSocketRoute) -> None:
        if sockets and refuse:  # the gateway "down": every reconnect is closed at once
            await ws.close(code=1011, reason="test: gateway down")
            return
        ws.connect_to_server()
        sockets.append(ws)

    async def route(page: Page) -> None:
        await page.route_web_socket(re.compile(r"/api/v1/stream"), through_the_gateway)

    page = await stack.page("overview", before=route)
    badge = page.get_by_test_id("connection")
    await expect(badge).to_have_text("connected", timeout=WAIT_MS)
    await sockets[0].close(code=1001, reason="test: cut")
    await expect(badge).to_have_text("reconnecting", timeout=WAIT_MS)
    await page.screenshot(path=str(stack.tmp / "console-reconnecting.png"))
    refuse = False
    await expect(badge).to_have_text("connected", timeout=WAIT_MS)
    assert len(sockets) == 2
    step = stack.e2e.steps("crash", 3)[1]  # a further fall from where the market is now
    await stack.e2e.step(step)
    target = step.price("aggregator", "PSTR")
    await stack.until(lambda: _near(page, target), 30, f"PSTR near {target} after reconnecting")


BASKET_ABI = [
    {"type": "function", "name": "availableLiquidity", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "coreAmount", "type": "uint256"},
                 {"name": "coreBtcAmount", "type": "uint256"},
                 {"name": "valueUsd", "type": "uint256"}]},
    {"type": "function", "name": "deployLiquidity", "stateMutability": "nonpayable",
     "inputs": [{"name": "coreAmount", "type": "uint256"},
                {"name": "coreBtcAmount", "type": "uint256"}], "outputs": []},
]
