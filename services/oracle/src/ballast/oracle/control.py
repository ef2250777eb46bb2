"""Operator confirmation of a moved price (`control.approve`, target `oracle`).

Why: the correlated-move defence (domain/anchor.py) holds a consensus that moved far from the
slow reference as DEGRADED until the anchor confirms it, it has held long enough, or an operator
confirms it. An operator does that with

    {"command": "approve", "target": "oracle", "matchers": {"symbol": "PSTR", "price": "3.10"},
     "issued_by": "ops@ballast", ...}

on `control.approve`. `price` is optional (default: the latest consensus price). Only
`operator_identities` are obeyed (the NATS permissions let only the operator user publish
`control.*`, as for the intervention service); every other command is not the oracle's.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import Protocol

from ballast.common.messages import ControlCommand, ControlVerb
from ballast.oracle.metrics import OracleMetrics

log = logging.getLogger("ballast.oracle.control")
TARGET = "oracle"


class Confirms(Protocol):
    def confirm(self, symbol: str, price: Decimal | None = None) -> Decimal | None: ...


def apply_control(
    engine: Confirms, cmd: ControlCommand, operators: Collection[str], metrics: OracleMetrics
) -> str:
    """What the command did, in words (for the log and tests)."""
    if cmd.command is not ControlVerb.APPROVE or cmd.target != TARGET:
        return "ignored: not an oracle command"
    symbol = cmd.matchers.get("symbol", "")
    outcome, detail = _confirm(engine, cmd, symbol, operators)
    metrics.confirmations.labels(symbol or "-", outcome).inc()
    level = logging.INFO if outcome == "applied" else logging.WARNING
    log.log(level, "price confirmation %s", outcome,
            extra={"command_id": cmd.command_id, "issued_by": cmd.issued_by, "symbol": symbol,
                   "detail": detail})
    return detail


def _confirm(
    engine: Confirms, cmd: ControlCommand, symbol: str, operators: Collection[str]
) -> tuple[str, str]:
    if cmd.issued_by not in operators:
        return "refused", "refused: not an operator identity"
    if not symbol:
        return "refused", "refused: matchers.symbol is required"
    price: Decimal | None = None
    if "price" in cmd.matchers:
        try:
            price = Decimal(cmd.matchers["price"])
        except InvalidOperation:
            return "refused", "refused: matchers.price is not a decimal"
        if not price.is_finite() or price <= 0:
            return "refused", "refused: matchers.price must be positive"
    confirmed = engine.confirm(symbol, price)
    if confirmed is None:
        return "refused", f"refused: no consensus price for {symbol}"
    return "applied", f"confirmed {symbol} at {confirmed}"
