"""The StakeBasket's scheduled actions, decided from `etf.metrics` and `etf.events.deposit`
(StakeBasket seed AutomationEngine): the half of the Decider (app.py) that asks itself for
rebalance, stake, fund_withdrawals, compound and asset_rebalance; each is sized at signing, from
the chain, by the executor.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from ballast.common.messages import AutomationKind, EtfEvent, EtfEventKind, EtfMetrics
from ballast.intervention.domain.automation import (
    AutomationConfig,
    DriftEpisodes,
    asset_drift_due,
    due_on_metrics,
)
from ballast.strategy.onchain import LiveParams
from ballast.strategy.policy import Policy

if TYPE_CHECKING:
    from ballast.intervention.app import Clock


class BasketDecisions:
    policy: Policy
    live: LiveParams | None
    automation: AutomationConfig
    drift: DriftEpisodes

    clock: Clock

    @property
    def active_policy(self) -> Policy:
        """`policy` with the strategy's numbers in force now: governance's, once `live` holds
        them (ballast.strategy.onchain), else the bootstrap ones from the environment."""
        if self.live is None or self.live.params is self.policy.params:
            return self.policy
        return replace(self.policy, params=self.live.params)

    async def _own_request(
        self, kind: AutomationKind, now: datetime, request_id: str, reason: str
    ) -> bool: ...

    async def on_etf_metrics(self, metrics: EtfMetrics) -> list[AutomationKind]:
        """StakeBasket seed AutomationEngine: every 60 minutes, rebalance if the allocation
        deviates more than 10% from target; compound accrued rewards (once per Core round).

        "Every 60 minutes" is a bucket of `rebalance_interval_seconds`: however often etf.metrics
        arrives, at most one rebalance per bucket (its id is the bucket), and none while the
        deviation is within the limit.

        The CORE/BTC asset split past the same 10% (ballast.strategy.assets) asks for one
        asset_rebalance per drift episode (DriftEpisodes names the request), and never while
        another is open (`exclusive`).
        """
        now = self.clock()
        due = due_on_metrics(metrics, self.active_policy.params, self.automation)
        created = [
            kind
            for kind, interval, reason in due
            if await self._scheduled(kind, now, interval, reason)
        ]
        books = self.automation.basket_actions
        swap = asset_drift_due(metrics, self.active_policy.params) if books else None
        episode = self.drift.observe(swap, metrics.block_number)
        if swap is not None and episode is not None:
            kind = AutomationKind.ASSET_REBALANCE
            reason = (
                f"CORE/BTC drift {swap.drift:+.2%} from target past "
                f"{self.active_policy.params.etf_rebalance_deviation:.0%}: sell "
                f"{swap.amount_usd:.2f} USD of {swap.sell.name}"
            )
            if await self._own_request(kind, now, f"drift-{episode}", reason):
                created.append(kind)
        return created

    async def on_deposit(self, event: EtfEvent) -> bool:
        """A large deposit is staked at once rather than at the next scheduled pass."""
        if (
            event.kind is not EtfEventKind.DEPOSIT
            or event.removed
            or not self.automation.basket_actions
        ):
            return False
        value = Decimal(str(event.args.get("valueUsd", 0))) / Decimal(10**18)
        if value < self.automation.large_deposit_usd:
            return False
        return await self._own_request(
            AutomationKind.STAKE,
            self.clock(),
            f"deposit-{event.tx_hash}-{event.log_index}",
            f"deposit of {value:.2f} USD",
        )

    async def _scheduled(
        self, kind: AutomationKind, now: datetime, interval: int, reason: str
    ) -> bool:
        bucket = int(now.timestamp()) // interval
        return await self._own_request(kind, now, f"every{interval}s-{bucket}", reason)
