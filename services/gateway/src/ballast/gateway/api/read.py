"""Read routes: snapshot, history, interventions, automation, alerts, the ETF queue, reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from ballast.gateway.api.auth import Caller, Operator, gateway
from ballast.gateway.domain.series import SERIES, QueryError, parse_duration

router = APIRouter(prefix="/api/v1", tags=["read"])

Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/snapshot", summary="latest state, health, risk, liquidity, performance, ETF, prices")
async def snapshot(request: Request, _: Caller) -> dict[str, Any]:
    """Each part is the latest bus payload of its subject, exactly as published (or null)."""
    return await gateway(request).snapshot()


@router.get("/history", summary="the series /history/{series} serves")
async def series(_: Caller) -> dict[str, str]:
    return SERIES


@router.get("/history/{series}", summary="a time series from Postgres, downsampled by step")
async def history(
    request: Request,
    series: str,
    _: Caller,
    start: Annotated[datetime | None, Query(alias="from", description="RFC 3339")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="RFC 3339")] = None,
    step: Annotated[str | None, Query(description="30s, 5m, 1h, 1d")] = None,
) -> dict[str, Any]:
    """Each point is the last value inside its step bucket; values are decimal strings."""
    try:
        return await gateway(request).history(series, start, end, step)
    except QueryError as err:
        raise HTTPException(400, str(err)) from None


@router.get("/interventions", summary="intervention decisions and their outcomes, newest first")
async def interventions(request: Request, _: Caller, limit: Limit = 100) -> list[dict[str, Any]]:
    return await gateway(request).interventions(limit)


@router.get("/automation", summary="accumulate, rebalance and compound actions, newest first")
async def automation(request: Request, _: Caller, limit: Limit = 100) -> list[dict[str, Any]]:
    return await gateway(request).automation(limit)


@router.get("/alerts", summary="alerts (firing by default; ?all=true for every key)")
async def alerts(
    request: Request, _: Caller, all: bool = False, limit: Limit = 200  # noqa: A002
) -> list[dict[str, Any]]:
    return await gateway(request).alerts(not all, limit)


@router.get("/etf/queue", summary="queued withdrawals with position and expected wait")
async def etf_queue(request: Request, _: Caller) -> list[dict[str, Any]]:
    return await gateway(request).etf_queue()


@router.get("/reports/{kind}", summary="stored risk, performance or liquidity reports")
async def reports(
    request: Request,
    kind: Literal["risk", "performance", "liquidity"],
    _: Caller,
    since: str = "24h",
    limit: Limit = 100,
) -> list[dict[str, Any]]:
    try:
        window = parse_duration(since)
    except QueryError as err:
        raise HTTPException(400, str(err)) from None
    return await gateway(request).reports(kind, window, limit)


@router.get(
    "/report", summary="the status report of the last `since` (text, markdown or html)",
    response_class=PlainTextResponse,
)
async def report(
    request: Request, _: Caller, since: str = "24h",
    format: Literal["text", "markdown", "html"] = "markdown",  # noqa: A002
) -> PlainTextResponse:
    """The same page as `ballast report`, for the console and the alerts service's schedule."""
    try:
        body = await gateway(request).report(since, format)
    except QueryError as err:
        raise HTTPException(400, str(err)) from None
    media = {"text": "text/plain", "markdown": "text/markdown", "html": "text/html"}[format]
    return PlainTextResponse(body, media_type=f"{media}; charset=utf-8")


@router.get("/control", summary="control commands the gateway published (operators)")
async def commands(request: Request, _: Operator, limit: Limit = 100) -> list[dict[str, Any]]:
    return await gateway(request).commands(limit)
