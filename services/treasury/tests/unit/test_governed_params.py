"""The treasury follows governed strategy numbers: the core's params replaced on a consistent
change and the state recomputed at once (its fingerprint is what the intervention service
compares); an inconsistent or stale change leaves both alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ballast.common.messages import StrategyParameterChanged
from ballast.strategy.onchain import WAD, encode, from_wad
from ballast.strategy.params import StrategyParams
from ballast.treasury.parameters import GovernedParams


@dataclass
class Soon:
    scheduled: int = 0

    def schedule(self) -> None:
        self.scheduled += 1


@dataclass
class Core:
    params: StrategyParams = field(default_factory=StrategyParams)
    recompute_soon: Soon = field(default_factory=Soon)


def changed(key: str, old: int, new: int, block: int, index: int = 0) -> StrategyParameterChanged:
    return StrategyParameterChanged(
        key=key, old_value=old, new_value=new, value=from_wad(new), contract="0x" + "11" * 20,
        tx_hash="0x" + "22" * 32, log_index=index, block_number=block,
        block_hash="0x" + "33" * 32, observed_at=datetime.now(UTC))


async def test_governed__pair_of_changes__params_replaced_once_consistent_and_recomputed() -> None:
    core: Any = Core()
    governed = GovernedParams(core, "http://127.0.0.1:1", "0x" + "44" * 20)
    governed.live.load(encode(StrategyParams()), 10)

    await governed.on_changed(changed("cooldown_hours", 0, 12 * WAD, 10))  # already read
    await governed.on_changed(changed("trigger_threshold", 85 * WAD // 100, 90 * WAD // 100, 11))
    assert core.params == StrategyParams() and core.recompute_soon.scheduled == 0

    await governed.on_changed(changed("tier1_drawdown", 15 * WAD // 100, 10 * WAD // 100, 11, 1))
    assert str(core.params.trigger_threshold) == "0.9"
    assert core.params.fingerprint() != StrategyParams().fingerprint()
    assert core.recompute_soon.scheduled == 1


async def test_governed__no_contract__changes_ignored() -> None:
    core: Any = Core()
    governed = GovernedParams(core, None, None)

    await governed.start()
    await governed.on_changed(changed("cooldown_hours", 48 * WAD, 12 * WAD, 11))

    assert core.params == StrategyParams() and core.recompute_soon.scheduled == 0
