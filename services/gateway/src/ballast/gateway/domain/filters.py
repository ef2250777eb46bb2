"""Subject filters with NATS wildcards: parse, match, subset, overlap.

A client names the subjects it wants (`?subjects=prices.consensus.*,treasury.state`): `*` is one
token, `>` one or more trailing tokens (NATS "Subject-Based Messaging"). The gateway checks each
filter is inside what the caller's role may read, and delivers a message once per client even
when two of its filters match it (the first matching filter in the client's order wins).
"""

from __future__ import annotations

import re

from ballast.common.subjects import subject_intersection, subject_matches

_TOKEN = re.compile(r"^[A-Za-z0-9_\-]+$")
MAX_FILTERS = 32


class FilterError(ValueError):
    """A subject filter the gateway will not subscribe to; the message says why."""


def parse_filters(raw: str) -> tuple[str, ...]:
    """`a,b.*` -> ("a", "b.*"): each a valid NATS subject pattern, no duplicates, order kept."""
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts:
        raise FilterError("subjects: give at least one subject filter, e.g. prices.consensus.*")
    if len(parts) > MAX_FILTERS:
        raise FilterError(f"subjects: at most {MAX_FILTERS} filters")
    for part in parts:
        check_pattern(part)
    return tuple(dict.fromkeys(parts))


def check_pattern(pattern: str) -> None:
    tokens = pattern.split(".")
    for i, tok in enumerate(tokens):
        if tok == ">" and i != len(tokens) - 1:
            raise FilterError(f"{pattern!r}: '>' may only be the last token")
        if tok not in ("*", ">") and not _TOKEN.match(tok):
            raise FilterError(f"{pattern!r}: token {tok!r} is not letters, digits, '_' or '-'")


matches = subject_matches
"""NATS wildcard match of a concrete subject (the bus contract's own, ballast.common.subjects)."""


def is_subset(inner: str, outer: str) -> bool:
    """Every subject `inner` matches is matched by `outer`."""
    a, b = inner.split("."), outer.split(".")
    for i, part in enumerate(b):
        if part == ">":
            return len(a) > i
        if i >= len(a):
            return False
        if a[i] == ">":
            return False
        if part != "*" and (a[i] == "*" or a[i] != part):
            return False
    return len(a) == len(b)


intersection = subject_intersection
"""The pattern matching exactly the subjects both match, or None (ballast.common.subjects)."""


def first_match(filters: tuple[str, ...], subject: str) -> int | None:
    """Index of the first filter matching `subject`: the one that delivers it to the client."""
    for i, pattern in enumerate(filters):
        if matches(pattern, subject):
            return i
    return None
