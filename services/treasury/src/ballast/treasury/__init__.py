"""Ballast treasury service (PSTR seed sections 2, 4, 5, 6 and Key Metrics & KPIs)."""
