from __future__ import annotations

from decimal import Decimal

from ballast.backtest.book import Account, Holdings, buy_pump, pool_at, swap_pump_for_pstr
from ballast.intervention.domain.execution import amount_out_min

E18 = 10**18


def test_swap__market_moved_against_more_than_the_cap__reverted_and_gas_paid() -> None:
    account = Account()
    hold = Holdings.start(account)
    quoted_pool = pool_at(account, Decimal(1), Decimal("0.5"))
    amount = 100_000 * E18
    min_out = amount_out_min(quoted_pool.quote(amount), Decimal("0.02"))
    moved = pool_at(account, Decimal("1.03"), Decimal("0.5"))  # PSTR 3% dearer when mined
    fill = swap_pump_for_pstr(hold, account, moved, amount, min_out)
    assert fill.reverted and fill.price_factor == 1
    assert hold.pump_raw == 45_000_000 * E18 and hold.pstr_raw == 0
    assert hold.gas_usd == account.gas_usd


def test_swap__within_the_cap__filled_and_the_price_moves_up() -> None:
    account = Account()
    hold = Holdings.start(account)
    amount = 100_000 * E18
    quoted = pool_at(account, Decimal(1), Decimal("0.5"))
    min_out = amount_out_min(quoted.quote(amount), Decimal("0.02"))
    fill = swap_pump_for_pstr(hold, account, pool_at(account, Decimal("1.01"), Decimal("0.5")),
                              amount, min_out)
    assert not fill.reverted and fill.pstr_out_raw >= min_out
    assert hold.pump_raw == 45_000_000 * E18 - amount and hold.pstr_raw == fill.pstr_out_raw
    assert fill.price_factor > 1


def test_buy_pump__accumulation__usdc_for_pump_less_fee_and_gas() -> None:
    account = Account()
    hold = Holdings.start(account)
    bought = buy_pump(hold, account, 1_000 * 10**6, Decimal(1), Decimal("0.5"))
    assert bought == 1_994 * E18  # 1,000 USD x 0.997 / 0.50
    assert hold.usdc_raw == (7_500_000 - 1_000) * 10**6 - 500_000  # and $0.50 of gas
