"""Settings of the issue #17 checks (anchor, slow average, emergency source) and the operator
confirmation command, through the core with its `confirm` recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from ballast.common.messages import ControlCommand, ControlVerb
from ballast.oracle.app import Oracle
from ballast.oracle.metrics import OracleMetrics
from ballast.oracle.settings import SymbolSettings

HERMES = {"kind": "pyth_hermes", "feed_id": "ab" * 32}
CROSSBAR = {"kind": "switchboard_crossbar", "feed_hash": "cd" * 32}
CHAINLINK = {"kind": "chainlink", "rpc_url": "http://rpc", "heartbeat_seconds": 3600,
             "address": "0x" + "01" * 20}


def symbol(**fields: Any) -> SymbolSettings:
    return SymbolSettings.model_validate({"sources": [HERMES, CROSSBAR, CHAINLINK], **fields})


def test_symbol_settings__chainlink_configured__is_the_anchor_by_default() -> None:
    anchor = symbol().consensus().anchor
    assert anchor.source == "chainlink"
    assert anchor.max_move == Decimal("0.10") and anchor.hold == timedelta(hours=1)
    assert anchor.slow_average is None


def test_symbol_settings__anchor_empty_string__no_anchor() -> None:
    assert symbol(anchor_source="").consensus().anchor.source is None


def test_symbol_settings__no_chainlink__no_anchor_unless_named() -> None:
    plain = SymbolSettings.model_validate({"sources": [HERMES, CROSSBAR]})
    assert plain.consensus().anchor.source is None
    named = SymbolSettings.model_validate({"sources": [HERMES, CROSSBAR],
                                           "anchor_source": "switchboard"})
    assert named.consensus().anchor.source == "switchboard"


def test_symbol_settings__slow_average_and_hold__mapped() -> None:
    anchor = symbol(slow_average_seconds=14400, anchor_hold_seconds=600,
                    anchor_max_move="0.2").consensus().anchor
    assert anchor.slow_average == timedelta(hours=4) and anchor.hold == timedelta(minutes=10)
    assert anchor.max_move == Decimal("0.2")


@pytest.mark.parametrize(("fields", "message"), [
    ({"anchor_source": "nope"}, "anchor_source 'nope' is not one of"),
    ({"emergency_source": "nope"}, "emergency_source 'nope' is not one of"),
    ({"emergency_source": "chainlink"}, "cannot also be the anchor"),
])
def test_symbol_settings__bad_roles__rejected_naming_why(fields: dict[str, str], message: str
                                                        ) -> None:
    with pytest.raises(ValidationError, match=message):
        symbol(**fields)


def test_symbol_settings__emergency_source__in_the_consensus_config() -> None:
    assert symbol(emergency_source="switchboard").consensus().emergency_source == "switchboard"


class FakeEngine(Oracle):
    """The core with `confirm` recorded: the command's path is under test, not the anchor."""

    def __init__(self) -> None:
        unused: Any = None  # the ports: a command neither publishes nor records
        super().__init__({}, unused, unused, unused, OracleMetrics(CollectorRegistry()),
                         operators=("ops",))
        self.confirmed: list[tuple[str, Decimal | None]] = []

    def confirm(self, symbol: str, price: Decimal | None = None) -> Decimal | None:
        self.confirmed.append((symbol, price))
        if symbol != "PSTR":
            return None
        return price or Decimal("1.5")


def command(verb: ControlVerb = ControlVerb.APPROVE, *, by: str = "ops", target: str = "oracle",
            **matchers: str) -> ControlCommand:
    return ControlCommand(command_id="c", command=verb, issued_by=by, target=target,
                          issued_at=datetime(2026, 11, 22, tzinfo=UTC), matchers=matchers)


@pytest.mark.parametrize(("cmd", "expected"), [
    (command(ControlVerb.PAUSE, symbol="PSTR"), "ignored: not an oracle command"),
    (command(target="intervention", symbol="PSTR"), "ignored: not an oracle command"),
    (command(by="mallory", symbol="PSTR"), "refused: not an operator identity"),
    (command(), "refused: matchers.symbol is required"),
    (command(symbol="PSTR", price="lots"), "refused: matchers.price is not a decimal"),
    (command(symbol="PSTR", price="-1"), "refused: matchers.price must be positive"),
    (command(symbol="BTC"), "refused: no consensus price for BTC"),
    (command(symbol="PSTR"), "confirmed PSTR at 1.5"),
    (command(symbol="PSTR", price="3.10"), "confirmed PSTR at 3.10"),
])
def test_apply_control__each_case__says_what_it_did(cmd: ControlCommand, expected: str) -> None:
    engine = FakeEngine()
    assert engine.control(cmd) == expected
    if expected.startswith(("ignored", "refused: not", "refused: matchers")):
        assert engine.confirmed == []
