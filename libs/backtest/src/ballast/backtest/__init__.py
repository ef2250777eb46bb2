"""`ballast backtest`: the live policy's own functions over minute bars (see engine.py)."""
