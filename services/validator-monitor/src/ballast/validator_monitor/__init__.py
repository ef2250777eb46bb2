"""Ballast validator monitor: the Core DAO validators the StakeBasket ETF delegates to."""
