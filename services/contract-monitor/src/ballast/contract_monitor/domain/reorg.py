"""Where a reorganisation forked: the newest stored block whose hash the chain still has."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def fork_point(
    stored: Sequence[tuple[int, str]], chain: Mapping[int, str | None]
) -> int | None:
    """The highest block of `stored` (block, hash) whose hash equals the chain's hash now.

    Block hashes chain each header to its parent, so one matching block means every earlier
    block is unchanged too: everything after it, and only that, was undone. None when no stored
    block matches (the caller looks further back, or rescans from its start block).
    """
    for number, block_hash in sorted(stored, reverse=True):
        if chain.get(number) == block_hash:
            return number
    return None
