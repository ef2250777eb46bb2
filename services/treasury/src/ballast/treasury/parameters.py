"""The strategy's numbers as governance sets them (StrategyParameters; ballast.strategy.onchain):
read from the chain at start, then each `governance.parameters` change applied. The core's
`params` is replaced on each consistent change and the state recomputed at once, so that its
strategy fingerprint, which the intervention service compares with its own, follows the chain
(both services read the same contract and the same events). `BALLAST_STRATEGY_*` values are the
bootstrap defaults, in force where no contract is deployed."""

from __future__ import annotations

import logging

from ballast.common.evm.parameters import read_parameters_at
from ballast.common.messages import StrategyParameterChanged
from ballast.strategy.onchain import LiveParams, key_name
from ballast.treasury.app import Treasury

log = logging.getLogger("ballast.treasury")


class GovernedParams:
    def __init__(self, core: Treasury, rpc_url: str | None, address: str | None) -> None:
        """Without an RPC URL or an address there is no contract: the environment's numbers stay
        and changes are ignored (the subscription exists all the same, so that the bus
        permissions, generated from the code, allow it)."""
        self.core = core
        self.rpc_url = rpc_url
        self.address = address
        self.live = LiveParams(core.params)

    async def start(self) -> None:
        """Every value at the latest block, before the first state."""
        if self.rpc_url is None or self.address is None:
            return
        block, values = await read_parameters_at(self.rpc_url, self.address)
        refused = self.live.load({key_name(k): v for k, v in values.items()}, block)
        self.core.params = self.live.params
        log.log(logging.ERROR if refused else logging.INFO, "strategy parameters read",
                extra={"address": self.address, "block": block, "keys": len(values),
                       "refused": refused, "fingerprint": self.live.params.fingerprint()})

    async def on_changed(self, event: StrategyParameterChanged) -> None:
        if self.live.source != "chain":
            return  # no contract read: nothing governs these numbers here
        refused = self.live.on_changed(event)
        if refused is None:
            return  # already in the values read at start
        if not refused and self.core.params is not self.live.params:
            self.core.params = self.live.params
            self.core.recompute_soon.schedule()
        level, message, extra = self.live.change_record(event, refused)
        log.log(level, message, extra=extra)
