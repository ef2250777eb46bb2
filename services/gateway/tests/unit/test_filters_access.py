from __future__ import annotations

import pytest

from ballast.gateway.domain.access import (
    Role,
    TokenEntry,
    TokenTable,
    bearer,
    check_readable,
    hash_token,
    parse_digest,
)
from ballast.gateway.domain.filters import (
    FilterError,
    first_match,
    intersection,
    is_subset,
    matches,
    parse_filters,
)


@pytest.mark.parametrize(
    ("inner", "outer", "expected"),
    [
        ("prices.consensus.*", "prices.>", True),
        ("prices.>", "prices.>", True),
        ("prices.>", "prices.*", False),
        ("prices.*", "prices.>", True),
        ("prices.consensus.PSTR", "prices.consensus.*", True),
        ("prices.*.PSTR", "prices.consensus.*", False),
        (">", "prices.>", False),
        ("control.pause", "alerts.*", False),
        ("treasury.state", "treasury.state", True),
        ("treasury.state.x", "treasury.state", False),
    ],
)
def test_is_subset__patterns__as_nats_would_deliver(inner: str, outer: str, expected: bool) -> None:
    assert is_subset(inner, outer) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (">", "prices.observed.>", "prices.observed.>"),
        ("prices.*.PSTR", "prices.consensus.*", "prices.consensus.PSTR"),
        ("prices.>", "trades.>", None),
        ("treasury.state", "treasury.*", "treasury.state"),
        ("a.b", "a.b.c", None),
        ("prices.>", "prices.consensus.*", "prices.consensus.*"),
    ],
)
def test_intersection__two_patterns__the_common_subjects(
    a: str, b: str, expected: str | None
) -> None:
    assert intersection(a, b) == expected


def test_parse_filters__bad_input__clear_errors() -> None:
    assert parse_filters(" a.*, b.> ,a.*") == ("a.*", "b.>")
    for bad in ("", "a.>.b", "a b", "a..b", ",".join(f"s{i}" for i in range(40))):
        with pytest.raises(FilterError):
            parse_filters(bad)


def test_first_match__overlapping_filters__first_in_client_order() -> None:
    filters = ("prices.consensus.PSTR", "prices.>")
    assert first_match(filters, "prices.consensus.PSTR") == 0
    assert first_match(filters, "prices.consensus.CORE") == 1
    assert first_match(filters, "alerts.critical") is None
    assert matches("prices.>", "prices.a.b") and not matches("prices.>", "prices")


def test_check_readable__viewer_and_operator__control_and_deadletters_for_operators() -> None:
    check_readable(("prices.consensus.*", "alerts.*", "treasury.state"), Role.VIEWER)
    for forbidden in ("control.*", "deadletter.>", ">", "*.state"):
        with pytest.raises(FilterError):
            check_readable((forbidden,), Role.VIEWER)
    check_readable(("control.*", "deadletter.>"), Role.OPERATOR)


def test_token_table__hashes_only__right_token_is_its_principal() -> None:
    entry = hash_token("s3cret")
    table = TokenTable([TokenEntry("olga", Role.OPERATOR, parse_digest(entry))])
    assert table.authenticate("s3cret") is not None
    assert table.authenticate("s3cret").name == "olga"  # type: ignore[union-attr]
    assert table.authenticate("s3cre") is None
    assert table.authenticate(None) is None
    with pytest.raises(ValueError, match="never the token"):
        parse_digest("s3cret")
    assert bearer("Bearer abc") == "abc" and bearer("Basic abc") is None and bearer(None) is None
