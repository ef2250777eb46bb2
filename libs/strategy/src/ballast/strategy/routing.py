"""A swap route through the pools a deployment has (Uniswap V2 paths).

The devnet has no USDC/PUMP pool: the hourly accumulation buys PUMP through WCORE
(USDC -> WCORE -> PUMP), as a router path. The shortest path wins; among equals, the first
intermediate in `pools` order that is not to be avoided (the accumulation never routes through
PSTR: it would trade the token the treasury defends).
"""

from __future__ import annotations

from collections.abc import Iterable


def route(
    pools: Iterable[tuple[str, str]], token_in: str, token_out: str, avoid: Iterable[str] = ()
) -> list[str] | None:
    """The token path from `token_in` to `token_out` with at most one intermediate, or None."""
    pools = list(pools)
    pairs = [(a.lower(), b.lower()) for a, b in pools]
    avoided = {a.lower() for a in avoid}
    start, end = token_in.lower(), token_out.lower()
    linked: dict[str, list[str]] = {}
    for a, b in pairs:
        linked.setdefault(a, []).append(b)
        linked.setdefault(b, []).append(a)
    if end in linked.get(start, []):
        return [token_in, token_out]
    for middle in linked.get(start, []):
        if middle not in avoided and end in linked.get(middle, []):
            original = next(t for p in pools for t in p if t.lower() == middle)
            return [token_in, original, token_out]
    return None
