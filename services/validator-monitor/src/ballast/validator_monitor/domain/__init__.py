"""Pure validator-monitor logic: status bits, change detection, recommendation rules, APY.

Data in, data out (DESIGN.md "Inside a service"): the same functions serve the live poller,
backtests and replays. Nothing here imports an I/O library (ruff.toml in this directory bans them).
"""
