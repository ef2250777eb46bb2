-- PSTR seed 3, execution step 5 "Performance Tracking: ROI and impact measurement": what each
-- confirmed intervention saw, got, and did to the price (ballast.strategy.impact).
ALTER TABLE treasury_interventions
    ADD COLUMN price_before  numeric,
    ADD COLUMN amount_out_raw numeric(78, 0),
    ADD COLUMN price_after   numeric,
    ADD COLUMN price_later   numeric,
    ADD COLUMN price_impact  numeric,
    ADD COLUMN roi           numeric;
