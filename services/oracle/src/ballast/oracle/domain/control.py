"""Operator confirmation of a moved price (`control.approve`, target `oracle`): what a command
asks for, or why it is refused.

Why: the correlated-move defence (domain/anchor.py) holds a consensus that moved far from the
slow reference as DEGRADED until the anchor confirms it, it has held long enough, or an operator
confirms it. An operator does that with

    {"command": "approve", "target": "oracle", "matchers": {"symbol": "PSTR", "price": "3.10"},
     "issued_by": "ops@ballast", ...}

on `control.approve`. `price` is optional (default: the latest consensus price). Only
`operator_identities` are obeyed: the app layer asks ballast.common.operators first
(operator_gate.py: a 0x address identity needs the command signed by that key, a name is the
gateway token's name), then this module reads what is asked; every other command is not the
oracle's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ballast.common.messages import ControlCommand, ControlVerb

TARGET = "oracle"


@dataclass(frozen=True)
class Confirmation:
    """What an operator asks to confirm: `symbol` at `price` (None: the latest consensus)."""

    symbol: str
    price: Decimal | None


def is_oracle_command(cmd: ControlCommand) -> bool:
    return cmd.command is ControlVerb.APPROVE and cmd.target == TARGET


def confirmation(cmd: ControlCommand) -> Confirmation | str:
    """The confirmation asked for by an operator's command, or the refusal in words."""
    symbol = cmd.matchers.get("symbol", "")
    if not symbol:
        return "refused: matchers.symbol is required"
    price: Decimal | None = None
    if "price" in cmd.matchers:
        try:
            price = Decimal(cmd.matchers["price"])
        except InvalidOperation:
            return "refused: matchers.price is not a decimal"
        if not price.is_finite() or price <= 0:
            return "refused: matchers.price must be positive"
    return Confirmation(symbol, price)
