"""Which nonces are gaps: free, at or above the mined count, below one still held."""

from __future__ import annotations

import pytest

from ballast.intervention.internal import nonce_gaps


@pytest.mark.parametrize(("mined", "held", "gaps"), [
    (5, [], []),                 # nothing held
    (5, [5, 6, 7], []),          # consecutive
    (5, [6], [5]),               # the one below a sent one was released
    (5, [5, 8], [6, 7]),
    (5, [7, 6], [5]),            # order does not matter
])
def test_nonce_gaps(mined: int, held: list[int], gaps: list[int]) -> None:
    assert nonce_gaps(mined, held) == gaps
