"""`ballast report`: the status report of the last `--since` from Postgres, in one page.

The database is `--database-url`, else `DATABASE_URL`, else the running local stack's
(`.ballast/stack.json`). Read-only: it never writes a row.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import asyncpg

from ballast.common.messages import utcnow


def database_url(explicit: str | None, data_dir: Path) -> str | None:
    if explicit:
        return explicit
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    state = data_dir / "stack.json"
    if state.exists():
        return json.loads(state.read_text()).get("database_url") or None
    return None


async def build(dsn: str, since: str, fmt: str) -> str:
    from ballast.gateway.adapters.report_source import ReportSource  # noqa: PLC0415
    from ballast.gateway.domain.report import render  # noqa: PLC0415
    from ballast.gateway.domain.series import parse_duration  # noqa: PLC0415

    window = parse_duration(since)
    now = utcnow()
    conn = await asyncpg.connect(dsn)
    try:
        report = await ReportSource(conn).gather(now - window, now)
    finally:
        await conn.close()
    return render(report, fmt)


def report_command(since: str, fmt: str, explicit_dsn: str | None, data_dir: Path) -> int:
    from ballast.gateway.domain.series import QueryError  # noqa: PLC0415

    dsn = database_url(explicit_dsn, data_dir)
    if dsn is None:
        print("no database: pass --database-url, set DATABASE_URL, or start a stack "
              "(`ballast up`)", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(asyncio.run(build(dsn, since, fmt)))
    except QueryError as err:
        print(f"--since: {err}", file=sys.stderr)
        return 2
    except (OSError, asyncpg.PostgresError) as err:
        print(f"cannot read the database: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0
