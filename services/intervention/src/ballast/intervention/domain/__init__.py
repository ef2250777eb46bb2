"""Pure decision and execution logic: data in, data out (no I/O library is imported here)."""
