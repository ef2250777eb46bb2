"""Safe transaction proposals: the Postgres record (`store`) and the Safe it runs on (`chain`).

Needs the `evm` and `safe` extras of ballast-common.
"""
