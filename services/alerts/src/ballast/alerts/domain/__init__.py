"""Pure alerting logic: rules over facts, the alert lifecycle, grouping. Data in, data out.

Nothing here reads a clock, a socket or a file: every function takes `now` and returns the
transitions and notifications it decided, so tests and replays drive time (DESIGN.md).
"""
