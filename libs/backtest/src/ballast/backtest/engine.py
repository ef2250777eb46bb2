"""The backtest loop: minute bars through the live policy's own functions.

Per minute of the evaluation window (the warm-up only feeds the VWAP and the daily closes):

1. Market: PSTR = the bar's price x the policy's cumulative pool impact (ballast.backtest.amm:
   each of our swaps multiplies it by the pool's price move; it relaxes back to 1 with
   `impact_half_life_hours`). PUMP and USDC are taken as given (their markets are assumed deep).
2. A swap decided in the previous minute is mined now (ballast.backtest.book), moving the price.
3. Consensus (ballast.backtest.feeds: the oracle's `compute` over per-source readings, or the bar's
   price), the PSTR/USDC trade of the minute into the treasury's RollingVwap.
4. Reserve ratio and safety mode (ballast.strategy.reserve) for the minimum RR and the days in
   each mode; PSTR drawdowns with and without the policy.
5. The intervention decision, as the intervention service takes one per treasury.state:
   `build_state` (ballast.treasury.domain.state) then `evaluate` (ballast.strategy.decision),
   with a History of cooldown and daily count kept here as Postgres keeps it live (every acting
   decision counts, whatever its execution). Fast path, same outcome: when the price is not under
   the trigger (`tiers.triggered`) or the cooldown or daily limit holds (`decision.limit_reasons`)
   `evaluate` blocks whatever the rest of the state says, so the state is not built.
6. Hourly: a full state, its health (ballast.strategy.health.build_health) and the accumulation
   (ballast.strategy.accumulation.plan); every `risk_every_minutes` the risk report
   (ballast.treasury.domain.risk.build_risk) over the daily closes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from ballast.backtest import book
from ballast.backtest.amm import Impact, half_life_factor
from ballast.backtest.execution import execute, roi
from ballast.backtest.feeds import SourcedFeed, ok_price
from ballast.backtest.hourly import Hourly
from ballast.backtest.results import Drawdown, Intervention, Result, Samples
from ballast.backtest.tape import Tape, at
from ballast.common.messages import (
    ConsensusPrice,
    DecisionAction,
    ExecutionMode,
    HealthLevel,
    SafetyMode,
)
from ballast.intervention.domain.execution import amount_out_min
from ballast.strategy import reserve
from ballast.strategy.decision import History, evaluate, limit_reasons
from ballast.strategy.params import StrategyParams
from ballast.strategy.policy import Policy
from ballast.strategy.tiers import triggered
from ballast.treasury.domain.state import build_state
from ballast.treasury.domain.vwap import RollingVwap, to_units

Progress = Callable[[int, int], None]
PLOT_POINTS = 2000


class Engine:
    def __init__(self, tape: Tape, params: StrategyParams, account: book.Account | None = None,
                 progress: Progress | None = None, *, verify: bool = False) -> None:
        self.account = account or book.Account()
        a = self.account
        self.tape = tape.with_constant("PUMP", a.pump_price).with_constant("USDC", a.usdc_price)
        self.params = params
        self.policy = Policy(params=params)
        self.progress = progress
        self.verify = verify
        self.hold = book.Holdings.start(a)
        self.supply_raw = book.raw(a.pstr_supply, 18)
        self.vwap = RollingVwap()
        self.impact = Impact(half_life_factor(a.impact_half_life_hours * 60))
        self.last_act: History = History(None, 0)
        self.act_day: date | None = None
        self.interventions: list[Intervention] = []
        self.blocked: Counter[str] = Counter()
        """Per rule, the evaluated decisions it blocked (one decision may count for several)."""
        self.fast_path: Counter[str] = Counter()
        """Per rule, the decisions settled (blocked) without building a state."""
        self.evaluated = 0
        self.states_built = 0
        """Decisions the fast path could not settle: a state built and `evaluate` run."""
        self.mode_minutes: Counter[SafetyMode] = Counter()
        self.health_hours: Counter[HealthLevel] = Counter()
        self.samples = Samples(max(1, (self.tape.length - self.tape.warmup) // PLOT_POINTS))
        self.hourly = Hourly(self)
        self.prices: dict[str, ConsensusPrice] = {}
        self.watch: dict[int, list[tuple[Intervention, str]]] = {}

    def history(self, today: date) -> History:
        count = self.last_act.interventions_today if self.act_day == today else 0
        return History(self.last_act.last_intervention_at, count)

    def run(self) -> Result:  # noqa: C901 - the loop is the model; its steps are named above
        tape, params, hold, a = self.tape, self.params, self.hold, self.account
        pstr, pump, usdc = (tape.series[s] for s in ("PSTR", "PUMP", "USDC"))
        feed = SourcedFeed(pstr) if pstr.sources else None
        supply = a.pstr_supply
        dd_with, dd_without = Drawdown(), Drawdown()
        min_rr: Decimal | None = None
        min_rr_without: Decimal | None = None
        pump0, usdc0 = a.pump_held, a.usdc_held
        pending: Intervention | None = None
        low_with = low_without = pstr.prices[tape.warmup]
        closes = self.hourly.closes
        vwap, impact_ = self.vwap, self.impact
        every, samples = self.samples.every, self.samples
        start, n, warmup = tape.start_minute, tape.length, tape.warmup
        rr: Decimal | None = None
        tv = Decimal(0)
        pump_amt, usdc_amt = hold.pump, hold.usdc
        market_cap, reserve_ratio, safety_mode = (reserve.market_cap, reserve.reserve_ratio,
                                                  reserve.safety_mode)
        mode_minutes = self.mode_minutes
        for i in range(n):
            minute = start + i
            base, p_pump, p_usdc = pstr.prices[i], pump.prices[i], usdc.prices[i]
            if impact_.multiplier != 1:
                impact_.decay()
            if pending is not None:
                execute(self, pending, minute, base, p_pump)
                pending = None
                pump_amt, usdc_amt = hold.pump, hold.usdc
            m = impact_.multiplier
            market = base if m == 1 else base * m
            price = market
            if feed is not None:
                consensus = feed.consensus(i, minute, m)
                self.prices["PSTR"] = consensus
                price = consensus.price if consensus.price is not None else price
            vol = pstr.volumes[i]
            if vol:
                vwap.add_units(minute, to_units(market * vol), to_units(vol))
            else:
                vwap.advance(minute)
            if (minute + 1) % 1440 == 0:
                day = at(minute).date()
                for sym, p in (("PSTR", price), ("PUMP", p_pump), ("USDC", p_usdc)):
                    closes.setdefault(sym, {})[day] = p
            if i < warmup:
                continue
            vw = vwap.value()
            tv = pump_amt * p_pump + usdc_amt * p_usdc
            rr = reserve_ratio(tv, market_cap(supply, price))
            mode_minutes[safety_mode(rr, params)] += 1
            if rr is not None and (min_rr is None or rr < min_rr):
                min_rr = rr
            rr0 = reserve_ratio(pump0 * p_pump + usdc0 * p_usdc, market_cap(supply, base))
            if rr0 is not None and (min_rr_without is None or rr0 < min_rr_without):
                min_rr_without = rr0
            if market < low_with:
                low_with = market
            if base < low_without:
                low_without = base
            if market > dd_with.peak or market < dd_with.trough:
                dd_with.see(market)
            if base > dd_without.peak or base < dd_without.trough:
                dd_without.see(base)
            self.evaluated += 1
            if not triggered(price, vw, params):
                self._skip("trigger", minute, price, p_pump, p_usdc, vw)
            elif rr is None or rr < params.min_rr_threshold:
                self._skip("reserve", minute, price, p_pump, p_usdc, vw)
            else:
                pending = self._decide(minute, price, market, p_pump, p_usdc, vw)
            if minute % 60 == 0:
                self.hourly.run(minute, price, p_pump, p_usdc, vw)
                pump_amt, usdc_amt = hold.pump, hold.usdc
            if (i - warmup) % every == 0:
                samples.t.append(at(minute))
                samples.price.append(float(market))
                samples.base_price.append(float(base))
                samples.vwap.append(None if vw is None else float(vw))
                samples.rr.append(None if rr is None else float(rr))
                samples.treasury_value.append(float(tv))
                samples.treasury_value_without.append(float(pump0 * p_pump + usdc0 * p_usdc))
            if minute in self.watch:
                for x, which in self.watch.pop(minute):
                    if which == "after":
                        x.price_after = market
                    else:
                        x.price_later = market
            if self.progress is not None and i % 20_000 == 0:
                self.progress(i, n)
        if self.progress is not None:
            self.progress(n, n)
        end = start + n - 1
        for x in self.interventions:
            roi(x, a, at(end))
        last = n - 1
        tv_without = pump0 * pump.prices[last] + usdc0 * usdc.prices[last]
        return Result(
            name=tape.name,
            settings={k: str(v) for k, v in params.__dict__.items() if k != "tiers"},
            account={k: str(v) for k, v in a.__dict__.items()},
            fingerprint=params.fingerprint(),
            start=at(start + warmup), end=at(end), minutes=n - warmup,
            interventions=self.interventions, blocked=self.blocked, fast_path=self.fast_path,
            states_built=self.states_built,
            decisions_evaluated=self.evaluated, drawdown_with=dd_with.worst,
            drawdown_without=dd_without.worst,
            low_with=low_with / pstr.prices[warmup], low_without=low_without / pstr.prices[warmup],
            min_rr_with=min_rr, min_rr_without=min_rr_without,
            mode_minutes=self.mode_minutes, health_hours=self.health_hours,
            accumulation=self.hourly.accumulation_summary(), gas_usd=hold.gas_usd,
            final_treasury_value=tv, final_treasury_value_without=tv_without,
            pstr_held=Decimal(hold.pstr_raw).scaleb(-18), samples=self.samples,
        )

    def state_prices(self, minute: int, price: Decimal, p_pump: Decimal,
                     p_usdc: Decimal) -> dict[str, ConsensusPrice]:
        now = at(minute)
        prices = {"PUMP": ok_price("PUMP", p_pump, now), "USDC": ok_price("USDC", p_usdc, now)}
        sourced = self.prices.get("PSTR") if self.tape.series["PSTR"].sources else None
        prices["PSTR"] = sourced or ok_price("PSTR", price, now)
        return prices

    def _skip(self, rule: str, minute: int, price: Decimal, p_pump: Decimal, p_usdc: Decimal,
              vw: Decimal | None) -> None:
        """The fast path: `rule` blocks whatever the rest of the state says. With `verify`, the
        state is built and evaluated anyway, and a decision that is not blocked by `rule` fails
        the run (the tests run the scenarios so)."""
        self.fast_path[rule] += 1
        if not self.verify:
            return
        now = at(minute)
        history = self.history(now.date())
        state = build_state(self.hold.snapshot(self.supply_raw, now),
                            self.state_prices(minute, price, p_pump, p_usdc), vw, self.params,
                            now, book.MAX_PRICE_AGE)
        decision = evaluate(state, self.policy, history, now=now, paused=False,
                            mode=ExecutionMode.DRY_RUN)
        rules = {r.split(":")[0] for r in decision.reasons}
        if decision.action is DecisionAction.ACT or rule not in rules:
            raise AssertionError(f"fast path said {rule} at {now}, evaluate said "
                                 f"{decision.action.value}: {decision.reasons}")

    def _decide(self, minute: int, price: Decimal, market: Decimal, p_pump: Decimal,
                p_usdc: Decimal, vw: Decimal | None) -> Intervention | None:
        now = at(minute)
        history = self.history(now.date())
        limits = limit_reasons(self.policy, history, now)
        if limits:
            self._skip(limits[0].split(":")[0], minute, price, p_pump, p_usdc, vw)
            return None
        self.states_built += 1
        state = build_state(self.hold.snapshot(self.supply_raw, now),
                            self.state_prices(minute, price, p_pump, p_usdc), vw, self.params,
                            now, book.MAX_PRICE_AGE)
        decision = evaluate(state, self.policy, history, now=now, paused=False,
                            mode=ExecutionMode.DRY_RUN)
        if decision.action is not DecisionAction.ACT:
            for reason in decision.reasons:
                self.blocked[reason.split(":")[0]] += 1
            return None
        self.last_act = History(now, history.interventions_today + 1)
        self.act_day = now.date()
        pool = book.pool_at(self.account, market, p_pump)
        quote = pool.quote(decision.amount_in_raw)
        x = Intervention(
            decided_at=now, tier=decision.inputs.tier, share=decision.deployment_share,
            amount_usd=decision.amount_usd, amount_in_raw=decision.amount_in_raw,
            quote_out_raw=quote, min_out_raw=amount_out_min(quote, self.params.slippage_cap),
            price_before=market,
        )
        self.interventions.append(x)
        return x
