"""The browser tests' harness: the whole system (as tests/e2e runs it) plus the gateway serving
the built console (web/dist), driven by Playwright in Debian's chromium.

One stack for the folder: test_console.py's tests walk one story on one devnet (the console
shows the market, an intervention waits for approval, an investor deposits, then withdraws), and
test_custody.py's owners sign a Safe proposal beside it, so the ~20 s of start-up is paid
once. Nothing downloads a browser: `make setup` installs Debian's `chromium` as root; without
it every test fails saying what to install (never skipped).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from ballast.cli.scenarios.driver import Market
from ballast.cli.system import System
from ballast.common.subjects import Namespace
from ballast.devnet.chain import connect
from ballast.testing.pg import database_name

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "web" / "dist" / "index.html"
CHROMIUM = Path(os.environ.get("BALLAST_CHROMIUM", "/usr/bin/chromium"))
README_SHOTS = ROOT / "docs" / "img"
"""Where the two screenshots the README shows are written with BALLAST_README_SCREENSHOTS=1;
otherwise every screenshot goes to the stack's temporary directory (a test run leaves the
worktree as it found it)."""


def _load_e2e() -> Any:
    """tests/e2e/conftest.py's harness pieces (its bus recorder, fast oracle config, keystore)."""
    spec = importlib.util.spec_from_file_location(
        "ballast_e2e_harness", ROOT / "tests" / "e2e" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


e2e_harness = _load_e2e()


def require_browser() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"no browser at {CHROMIUM}: install Debian's chromium (`apt-get install "
                    "chromium`, or run `make setup` as root), or set BALLAST_CHROMIUM", False)
    if not CONSOLE.exists():
        pytest.fail(f"{CONSOLE} is missing: build the console with `make setup`", False)


@dataclass
class Stack:
    """The running system, its gateway (URL, operator token) and the e2e helpers over it."""

    e2e: Any  # tests/e2e's E2E: bus recorder, market steps, waits, SQL
    gateway_url: str
    token: str
    browser: Browser
    shots: Path  # the README's two images (docs/img, or tmp: see README_SHOTS)
    tmp: Path

    async def page(self, path: str, width: int = 1280, height: int = 900,
                   before: Callable[[Page], Awaitable[None]] | None = None) -> Page:
        """A new browser context on the console's `path`, logged in with the operator token;
        `before` runs on the page before it loads (e.g. to route its WebSocket)."""
        ctx = await self.browser.new_context(viewport={"width": width, "height": height})
        page = await ctx.new_page()
        if before is not None:
            await before(page)
        # the browser's own errors, printed: pytest shows them with a failure
        page.on("pageerror", lambda err: print(f"[{path}] page error: {err}"))
        page.on("console", lambda msg: print(f"[{path}] console {msg.type}: {msg.text}")
                if msg.type in ("error", "warning") else None)
        await page.goto(f"{self.gateway_url}/?token={self.token}#/{path}")
        return page

    async def until(self, check: Callable[[], Awaitable[Any]], within: float, what: str) -> Any:
        """Poll an async check until it is truthy; fails naming `what` and any dead service."""
        deadline = time.monotonic() + within
        while True:
            value = await check()
            if value:
                return value
            self.e2e.system.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {within:.0f}s: {what}")
            await asyncio.sleep(0.2)


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def stack(
    tmp_path_factory: pytest.TempPathFactory, nats_server: Any, database_factory: Any,
    bus_session_namespace: str,
) -> AsyncIterator[Stack]:
    require_browser()
    work = tmp_path_factory.mktemp("browser")
    database_url = await database_factory.create()
    namespace = f"{bus_session_namespace}b{secrets.token_hex(2)}"
    bus = e2e_harness.BusRecorder(Namespace(namespace))
    await bus.start(nats_server.url)
    system = System(work, nats_server.url, database_url, namespace=namespace)
    pw = await async_playwright().start()
    browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
    try:
        deployment = await asyncio.to_thread(system.start_chain)
        keystore, password = e2e_harness._keystore(work)  # noqa: SLF001
        system.overrides = {
            "oracle": {"CONFIG_FILE": str(e2e_harness._fast_oracle_config(work, 0.25, 10))},  # noqa: SLF001
            # the devnet mines a block per transaction only: index the head, every 0.5 s
            "contract-monitor": {"CONFIRMATIONS": "0", "POLL_INTERVAL_SECONDS": "0.5"},
            # the treasury's liquidity actions and the StakeBasket book actions are off: the
            # queue test stakes the basket's buffer itself, and no other treasury transaction
            # races the approved swap (tests/e2e/test_compressed_day.py covers the book actions)
            "treasury": {"STATE_DEBOUNCE_SECONDS": "0.05", "CHAIN_INTERVAL_SECONDS": "1",
                         "LIQUIDITY_ACTIONS": "false"},
            "intervention": {
                "MODE": "live", "KEYSTORE_PATH": str(keystore),
                "KEYSTORE_PASSWORD_FILE": str(password), "CONFIRMATIONS": "1",
                "EXECUTOR_INTERVAL_SECONDS": "0.2",
                # every intervention above $1 waits for an operator (a time lock with no expiry)
                "APPROVAL_THRESHOLD_USD": "1", "BASKET_ACTIONS": "false",
            },
        }
        await asyncio.to_thread(system.start_services)
        market = Market(connect(system.rpc_url), deployment)
        e2e = e2e_harness.E2E(system, bus, None, None, market, database_url)
        gateway = work / "gateway"
        yield Stack(e2e, (gateway / "url").read_text().strip(),
                    (gateway / "token").read_text().strip(), browser,
                    README_SHOTS if os.environ.get("BALLAST_README_SCREENSHOTS") else work, work)
    finally:
        await browser.close()
        await pw.stop()
        await asyncio.to_thread(system.stop)
        await bus.stop()
        await database_factory.drop(database_name(database_url))
