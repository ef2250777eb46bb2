"""Pure logic of the contract monitor: data in, data out (DESIGN.md "Inside a service")."""
