"""The strategy's numbers as the StrategyParameters contract keeps them (contracts/src/governance),
and the holder a service decides with while governance changes them.

On-chain form (the contract's NatSpec): the key is the setting's name in ASCII, right-padded with
zero bytes to 32; the value is a fixed-point number with 18 decimals (WAD: 0.85 -> 85e16, 48 hours
-> 48e18, one intervention a day -> 1e18). The keys are every `BALLAST_STRATEGY_*` setting
(`StrategySettings`) plus each deployment tier's drawdown and share (`tier1_drawdown`,
`tier1_share`, ...), so that trigger_threshold and tier 1's drawdown, which `params.check` makes
agree, can be moved together by one proposal. Bounds come from the settings' own constraints
(`gt=0, lt=1` -> [1, 1e18 - 1]); a tier's numbers lie in [0, 1].

`LiveParams` applies the chain's values over the service's bootstrap params. A combination that
`params.check` refuses (the first of two changes one proposal makes) is kept aside and the last
consistent params stay in force until the values agree again. A change event from a block at or
before the one the values were read at is already in them (a durable consumer replaying after a
restart) and is skipped; a reorg's `removed` event puts the key back at its old value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from logging import INFO, WARNING
from typing import Any

from annotated_types import Ge, Gt, Le, Lt

from ballast.common.messages import StrategyParameterChanged
from ballast.strategy.params import StrategyParams, Tier, check
from ballast.strategy.settings import StrategySettings

WAD = 10**18
UINT256_MAX = 2**256 - 1
SETTING_KEYS: tuple[str, ...] = tuple(StrategySettings.model_fields)
"""Every `BALLAST_STRATEGY_*` setting, each a StrategyParams field of the same name."""


def tier_keys(level: int) -> tuple[str, str]:
    return f"tier{level}_drawdown", f"tier{level}_share"


def key_bytes(name: str) -> bytes:
    """The contract's key for a setting: its ASCII name, right-padded to 32 bytes."""
    raw = name.encode("ascii")
    if len(raw) > 32:
        raise ValueError(f"parameter name longer than 32 bytes: {name}")
    return raw.ljust(32, b"\0")


def key_name(key: bytes | str) -> str:
    """The setting named by a contract key (bytes, or 0x-hex as the chain's logs carry it)."""
    raw = bytes.fromhex(key[2:] if key.startswith("0x") else key) if isinstance(key, str) else key
    return raw.rstrip(b"\0").decode("ascii")


def to_wad(value: Decimal | int) -> int:
    scaled = Decimal(value) * WAD
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than 18 decimals")
    return int(scaled)


def from_wad(raw: int) -> Decimal:
    return Decimal(raw) / WAD


def encode(params: StrategyParams) -> dict[str, int]:
    """Every on-chain key with its value in WAD: what a deployment starts the contract with."""
    values = {name: to_wad(getattr(params, name)) for name in SETTING_KEYS}
    for tier in params.tiers:
        drawdown, share = tier_keys(tier.level)
        values[drawdown] = to_wad(tier.min_drawdown)
        values[share] = to_wad(tier.share)
    return values


def _bound(constraints: list[Any]) -> tuple[int, int]:
    low, high = 0, UINT256_MAX
    for c in constraints:
        if isinstance(c, Ge):
            low = max(low, to_wad(Decimal(str(c.ge))))
        elif isinstance(c, Gt):
            low = max(low, to_wad(Decimal(str(c.gt))) + 1)
        elif isinstance(c, Le):
            high = min(high, to_wad(Decimal(str(c.le))))
        elif isinstance(c, Lt):
            high = min(high, to_wad(Decimal(str(c.lt))) - 1)
    return low, high


def bounds(name: str) -> tuple[int, int]:
    """Inclusive [min, max] in WAD for a key: the setting's own constraints; [0, 1] for a tier's
    drawdown or share."""
    field = StrategySettings.model_fields.get(name)
    if field is not None:
        return _bound(list(field.metadata))
    if name.startswith("tier"):
        return 0, WAD
    raise KeyError(f"not a strategy parameter: {name}")


def _is_count(base: StrategyParams, name: str) -> bool:
    value: object = getattr(base, name)
    return isinstance(value, int)


def apply(base: StrategyParams, values: Mapping[str, int]) -> StrategyParams:
    """`base` with every known key of `values` (WAD) in place; unknown keys are ignored."""
    changes: dict[str, Any] = {}
    for name, raw in values.items():
        if name in SETTING_KEYS:
            number = from_wad(raw)
            changes[name] = int(number) if _is_count(base, name) else number
    tiers: list[Tier] = []
    for tier in base.tiers:
        drawdown, share = tier_keys(tier.level)
        tiers.append(Tier(
            tier.level,
            from_wad(values[drawdown]) if drawdown in values else tier.min_drawdown,
            from_wad(values[share]) if share in values else tier.share,
        ))
    return replace(base, **changes, tiers=tuple(tiers))


class LiveParams:
    """The params a service decides with: its bootstrap params with the chain's values over them.

    `load` takes every value read at start; `change` one ParameterChanged. Each returns the
    reasons a combination was refused (empty when the new params are in force).
    """

    def __init__(self, base: StrategyParams) -> None:
        self.base = base
        self.params = base
        self.chain: dict[str, int] = {}
        self.source = "environment"
        self.as_of_block = -1
        self._last: dict[str, tuple[int, int]] = {}  # per key, the newest event applied

    def load(self, values: Mapping[str, int], block: int = -1) -> list[str]:
        """Every value as read at `block`."""
        self.chain = dict(values)
        self.source = "chain"
        self.as_of_block = block
        return self._recompute()

    def on_changed(self, event: StrategyParameterChanged) -> list[str] | None:
        """One `governance.parameters` message; None when it is older than the values held
        (read at start, or a newer change of the same key already applied)."""
        at = (event.block_number, event.log_index)
        if event.block_number <= self.as_of_block or (
                not event.removed and at < self._last.get(event.key, (-1, -1))):
            return None
        self._last[event.key] = at
        return self.change(event.key, event.old_value if event.removed else event.new_value)

    def change_record(
        self, event: StrategyParameterChanged, refused: list[str]
    ) -> tuple[int, str, dict[str, object]]:
        """What a service logs of an applied or refused change: (level, message, extra)."""
        extra: dict[str, object] = {
            "key": event.key, "value": str(event.value), "removed": event.removed,
            "block": event.block_number, "refused": refused,
            "fingerprint": self.params.fingerprint()}
        if refused:
            return WARNING, "strategy parameters inconsistent, the previous stay in force", extra
        return INFO, "strategy parameter applied", extra

    def change(self, name: str, raw: int) -> list[str]:
        self.chain[name] = raw
        return self._recompute()

    def _recompute(self) -> list[str]:
        errors = out_of_bounds(self.base, self.chain)
        candidate = apply(self.base, self.chain)
        errors += check(candidate)
        if not errors:
            self.params = candidate
        return errors


def out_of_bounds(base: StrategyParams, values: Mapping[str, int]) -> list[str]:
    """A line for each known key whose value is outside its bounds, or not whole for a count."""
    errors: list[str] = []
    for name, raw in values.items():
        try:
            low, high = bounds(name)
        except KeyError:
            continue
        if not low <= raw <= high:
            errors.append(f"{name}: {from_wad(raw)} outside [{from_wad(low)}, {from_wad(high)}]")
        elif name in SETTING_KEYS and _is_count(base, name) and raw % WAD:
            errors.append(f"{name}: {from_wad(raw)} is not a whole number")
    return errors
