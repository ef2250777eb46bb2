"""Pure treasury formulas: data in, data out (DESIGN.md "Inside a service")."""
