-- OCPizza_DB, part 9: delivery addresses geocoded once (issue 12), when OCPIZZA_GEOCODING_KEY is configured.
-- geocoded_at set = asked once (geocode_status says the answer: OK with coordinates, or ZERO_RESULTS): never asked
-- again. DOUBLE, not DECIMAL: the coordinates are only shown and put in a link.
ALTER TABLE customer_addresses
    ADD COLUMN latitude       DOUBLE      NULL,
    ADD COLUMN longitude      DOUBLE      NULL,
    ADD COLUMN geocoded_at    DATETIME(6) NULL,
    ADD COLUMN geocode_status VARCHAR(20) NULL,
    ADD CONSTRAINT ck_customer_addresses_coordinates CHECK (
        (latitude IS NULL) = (longitude IS NULL)
        AND (latitude IS NULL OR (latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180)));
