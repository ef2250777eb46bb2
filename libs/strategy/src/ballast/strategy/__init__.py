"""The PSTR seed's policy as pure functions (DESIGN.md `libs/strategy`).

Data in, data out: the treasury, the intervention service and `ballast backtest` call the same
functions, so a backtest result means what the live system would do. No I/O is imported here.
"""
