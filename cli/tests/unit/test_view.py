"""The live view's one-line summary of a bus message reads like a page, not like a payload."""

from __future__ import annotations

from ballast.cli.view import summarise


def test_summarise__consensus__price_to_five_significant_digits() -> None:
    body = {"symbol": "PSTR", "status": "OK", "price": "0.839583333333051025684000001"}
    assert summarise(body) == "PSTR status=OK price=$0.83958"


def test_summarise__treasury_state__ratio_score_and_usd_for_people() -> None:
    body = {"tier": 2, "reserve_ratio": "2.413723412341234", "score": "0.8412",
            "amount_usd": "25000.00", "status": "OK"}
    assert summarise(body) == (
        "status=OK tier=2 reserve_ratio=2.41x score=84.1% amount_usd=$25,000.00")


def test_summarise__not_a_number__shown_as_is() -> None:
    assert summarise({"price": "n/a", "summary": "Reserve ratio 1.42x"}) == (
        "price=n/a summary=Reserve ratio 1.42x")
