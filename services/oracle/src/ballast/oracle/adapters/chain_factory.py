"""On-chain sources (EVM): built lazily so HTTP-only deployments never touch web3."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from ballast.oracle.metrics import OracleMetrics
from ballast.oracle.settings import SourceSettings

log = logging.getLogger("ballast.oracle.sources")


def chain_job(symbol: str, source: SourceSettings, sink: Any,
              metrics: OracleMetrics) -> Coroutine[Any, Any, None] | None:
    log.error("source kind not supported yet", extra={"symbol": symbol, "kind": source.kind})
    return None
