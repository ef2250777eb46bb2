"""ballast.strategy.basket: staking above the buffer, recalling for the queue."""

from __future__ import annotations

from decimal import Decimal

from ballast.strategy.basket import AssetBook, realised_apy, to_recall, to_stake, unfundable


def test_to_stake__deposit_of_1000_nothing_staked__900_staked_100_kept() -> None:
    assert to_stake(AssetBook(balance=1000, owed=0, staked=0)) == 900


def test_to_stake__buffer_already_thin__nothing() -> None:
    assert to_stake(AssetBook(balance=100, owed=0, staked=900)) == 0


def test_to_stake__owed_money_is_not_free__only_the_rest_staked() -> None:
    # free 500 - buffer 10% of (500 + 500) = 400
    assert to_stake(AssetBook(balance=700, owed=200, staked=500)) == 400


def test_to_recall__queue_owes_more_than_held__shortfall_plus_buffer() -> None:
    # owes 300, holds 100: short 200; buffer 10% of (0 + 1000) = 100
    assert to_recall(AssetBook(balance=100, owed=300, staked=1000)) == 300


def test_to_recall__nothing_short__nothing() -> None:
    assert to_recall(AssetBook(balance=300, owed=300, staked=1000)) == 0


def test_to_recall__stake_smaller_than_need__all_of_it_and_the_rest_unfundable() -> None:
    book = AssetBook(balance=0, owed=500, staked=200)
    assert to_recall(book) == 200
    assert unfundable(book) == 300
    assert unfundable(AssetBook(balance=0, owed=500, staked=Decimal(800).__int__())) == 0


def test_realised_apy__nav_up_1pct_in_a_quarter_year__about_4_06pct() -> None:
    apy = realised_apy(Decimal(1), Decimal("1.01"), 365 * 86_400 / 4)
    assert apy is not None and apy.quantize(Decimal("0.0001")) == Decimal("0.0406")


def test_realised_apy__under_an_hour_of_history__none() -> None:
    assert realised_apy(Decimal(1), Decimal("1.01"), 600) is None
