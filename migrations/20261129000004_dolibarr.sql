-- The bridge's memory of what it made in Dolibarr, so that a retry resumes instead of duplicating.
-- Every Dolibarr id is stored as soon as Dolibarr returns it; a retry with a missing id looks it up in Dolibarr
-- (by ref_ext) before creating anything. No foreign key to orders: the bridge may relay events for orders that
-- this database does not hold (reconciliation of another shop database, tests).

-- A shop customer and the Dolibarr thirdparty that stands for it (thirdparty ref_ext = PS-CUST-<id>).
CREATE TABLE dolibarr_customers (
    shop_customer_id BIGINT      NOT NULL PRIMARY KEY,
    thirdparty_id    BIGINT      NOT NULL,
    created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT ck_dolibarr_customers_ids CHECK (shop_customer_id > 0 AND thirdparty_id > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per shop order relayed to Dolibarr (order ref_ext = PS-<shop_order_id>, ref_client = reference).
-- total_mismatch: Dolibarr's per-line rounding gave a total_ttc more than one cent away from the shop's total.
-- needs_review: something a person must do in Dolibarr (e.g. a credit note for a cancelled, invoiced order).
CREATE TABLE dolibarr_links (
    shop_order_id         BIGINT       NOT NULL PRIMARY KEY,
    reference             VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    shop_total_cents      BIGINT       NULL,
    thirdparty_id         BIGINT       NULL,
    order_id              BIGINT       NULL,
    order_ref             VARCHAR(64)  NULL,
    order_validated_at    DATETIME(6)  NULL,
    dolibarr_total_cents  BIGINT       NULL,
    total_mismatch        TINYINT(1)   NOT NULL DEFAULT 0,
    invoice_id            BIGINT       NULL,
    invoice_ref           VARCHAR(64)  NULL,
    invoice_validated_at  DATETIME(6)  NULL,
    payment_id            BIGINT       NULL,
    paid_at               DATETIME(6)  NULL,
    closed_at             DATETIME(6)  NULL,
    cancelled_at          DATETIME(6)  NULL,
    needs_review          VARCHAR(500) NULL,
    created_at            DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at            DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT ck_dolibarr_links_shop_order_id CHECK (shop_order_id > 0),
    CONSTRAINT ck_dolibarr_links_reference CHECK (reference REGEXP '^[A-Za-z0-9_-]{1,32}$'),
    CONSTRAINT ck_dolibarr_links_mismatch CHECK (total_mismatch IN (0, 1)),
    INDEX ix_dolibarr_links_order_id (order_id),
    INDEX ix_dolibarr_links_flags (total_mismatch, needs_review(32))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
