"""What every price source adapter is: something that yields PriceObservations or fails with a
SourceError the runner can count, log and flag (issue #4 "Behaviour under bad input")."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from ballast.common.messages import PriceObservation


class SourceError(Exception):
    """A read failed. `kind` is a short metric label: http, timeout, malformed, connect, ..."""

    def __init__(self, kind: str, detail: str, *, backoff: bool = True) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.backoff = backoff  # False: not the source's fault (warming up); keep the pace


class PolledFeed(Protocol):
    """A source read on an interval (REST, eth_call)."""

    source: str
    symbol: str

    async def read(self) -> PriceObservation: ...


class StreamedFeed(Protocol):
    """A source that pushes (SSE). The iterator reconnects by itself and reports failures to
    `on_error`; it ends only when cancelled."""

    source: str
    symbol: str

    def stream(
        self, on_error: Callable[[SourceError], None]
    ) -> AsyncIterator[PriceObservation]: ...


loads_exact: Callable[[str], Any] = partial(json.loads, parse_float=Decimal)
"""JSON with numbers kept exact: a float in a payload becomes a Decimal, never a float."""
