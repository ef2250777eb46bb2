"""The read API against the other services' real schemas (their own migrations, applied here)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import aiohttp

from ballast.common.db import load_migrations, migrate

SERVICES = ("oracle", "treasury", "intervention", "alerts", "contract_monitor",
            "validator_monitor")


async def test_read_api__every_service_schema__lists_history_and_queue_answer(
    harness: Any,
) -> None:
    db = harness.gateway.service.db
    async with db.acquire() as conn:
        for name in SERVICES:
            package = importlib.import_module(f"ballast.{name}")
            directory = Path(package.__file__).parent / "migrations"
            await migrate(conn, name, load_migrations(directory))
    queued = {"id": "7", "owner": "0x" + "ab" * 20, "asset": "0", "shares": "10",
              "amount": "12", "readyAt": "4102444800"}  # 2100-01-01: still waiting
    await db.execute(
        "INSERT INTO contract_events (tx_hash, log_index, block_number, block_hash, contract, "
        "source, event_name, kind, args) VALUES ('0x01', 0, 5, '0xb', '0xc', 'etf', "
        "'RequestQueued', 'queued', $1::jsonb)", json.dumps(queued),
    )
    await db.execute(
        "INSERT INTO oracle_consensus (symbol, sequence, price, status, sources_used, sources, "
        "computed_at) VALUES ('PSTR', 1, 0.5, 'OK', 3, '[]', now() - interval '1 minute')"
    )
    async with aiohttp.ClientSession(headers=harness.viewer) as http:
        for path in ("interventions", "automation", "alerts?all=true", "snapshot"):
            async with http.get(f"{harness.base}/api/v1/{path}") as resp:
                assert resp.status == 200, (path, await resp.text())
        for series in ("price.PSTR", "reserve_ratio", "health_score", "nav_per_share", "aum",
                       "var", "expected_shortfall"):
            async with http.get(f"{harness.base}/api/v1/history/{series}") as resp:
                assert resp.status == 200, (series, await resp.text())
                values = [p["value"] for p in (await resp.json())["points"]]
                assert values == (["0.5"] if series == "price.PSTR" else []), series
        async with http.get(f"{harness.base}/api/v1/etf/queue") as resp:
            (entry,) = await resp.json()
        async with http.get(f"{harness.base}/api/v1/report?format=text") as resp:
            report = await resp.text()
    assert (entry["request_id"], entry["position"], entry["amount_raw"]) == ("7", 1, "12")
    assert entry["expected_wait_seconds"] > 0
    assert "PSTR" in report and "no treasury state recorded yet" in report
