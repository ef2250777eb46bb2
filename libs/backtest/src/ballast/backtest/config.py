"""What a run is made of: the input (a scenario or a CSV), the strategy settings (the live services'
own `StrategySettings`: `BALLAST_STRATEGY_*` from the environment, then with `--chain` the values
governance has set in the StrategyParameters contract, then `--set key=value`), and the
simulated market (`ballast.backtest.book.Account`, also settable with `--set`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ballast.backtest.book import Account
from ballast.backtest.csvin import load_csv
from ballast.backtest.scenarios import scenario
from ballast.backtest.tape import Tape
from ballast.strategy.onchain import LiveParams, encode
from ballast.strategy.params import StrategyParams
from ballast.strategy.settings import StrategySettings, strategy_from_env

STRATEGY_KEYS = tuple(StrategySettings.model_fields)
MARKET_KEYS = tuple(f.name for f in fields(Account))


@dataclass(frozen=True)
class Source:
    """Where the bars come from; rebuilt in each sweep worker (cheaper than pickling them)."""

    scenario: str | None = None
    csv: Path | None = None
    seed: int = 0
    days: int = 30
    warmup_days: int = 30

    def tape(self) -> Tape:
        if self.csv is not None:
            return load_csv(self.csv, self.warmup_days)
        return scenario(self.scenario or "calm", self.seed, self.days, self.warmup_days)


def split_sets(items: list[str]) -> dict[str, str]:
    """`key=value` strings -> a dict; ValueError names the bad one and the known keys."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or not value.strip():
            raise ValueError(f"--set {item!r}: expected key=value")
        if key not in STRATEGY_KEYS and key not in MARKET_KEYS:
            raise ValueError(f"--set {key}: unknown key; strategy keys: "
                             f"{', '.join(STRATEGY_KEYS)}; market keys: {', '.join(MARKET_KEYS)}")
        out[key] = value.strip()
    return out


def _market_value(key: str, text: str, current: object) -> object:
    try:
        if isinstance(current, bool):
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if isinstance(current, int):
            return int(text)
        value = Decimal(text)
        if not value.is_finite() or value < 0:
            raise ValueError(text)
        return value
    except (ValueError, InvalidOperation):
        raise ValueError(f"--set {key}={text}: not a valid {type(current).__name__}") from None


def resolve(sets: dict[str, str], governed: Mapping[str, int] | None = None,
            ) -> tuple[StrategyParams, Account]:
    """Strategy params (environment, then the values of the StrategyParameters contract when
    `governed` has them (name -> WAD, as `ballast.strategy.onchain` reads them), then the
    overrides; the live validation and consistency check) and the market. ValueError with one
    line when something is wrong."""
    strategy = {k: v for k, v in sets.items() if k in STRATEGY_KEYS}
    params = strategy_from_env(**strategy).params()
    if governed is not None:
        bootstrap = strategy_from_env().params()
        # every key the overrides moved, with what they derive (trigger_threshold -> tier 1)
        before, after = encode(bootstrap), encode(params)
        overrides = {k: v for k, v in after.items() if k in strategy or before[k] != v}
        live = LiveParams(bootstrap)
        refused = live.load({**governed, **overrides})
        if refused:
            raise ValueError("the governed parameters with --set are refused: "
                             + "; ".join(refused))
        params = live.params
    account = Account()
    changes = {k: _market_value(k, v, getattr(account, k))
               for k, v in sets.items() if k in MARKET_KEYS}
    account = replace(account, **changes)  # pyright: ignore[reportArgumentType]
    if account.pool_pstr <= 0 or account.pool_pump <= 0 or account.pstr_supply <= 0:
        raise ValueError("pool_pstr, pool_pump and pstr_supply must be positive")
    if account.risk_every_minutes <= 0 or account.fee_bps >= 10_000:
        raise ValueError("risk_every_minutes must be positive and fee_bps under 10000")
    return params, account
