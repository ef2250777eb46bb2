-- VWAP buckets in bigint units of 1e-8 instead of numeric units of 1e-18 (domain/vwap.py):
-- asyncpg decodes bigint natively, which halves the cold start over 43,200 rows.
ALTER TABLE treasury_vwap_bars
    ALTER COLUMN pv_units TYPE bigint USING round(pv_units / 10000000000),
    ALTER COLUMN volume_units TYPE bigint USING round(volume_units / 10000000000);
