"""Pure oracle logic: data in, data out (DESIGN.md "Inside a service").

Every formula of the PSTR seed's "Oracle Aggregation System" lives here so that the live service,
backtests and scenario replays run the same code. Nothing in this package does I/O.
"""
