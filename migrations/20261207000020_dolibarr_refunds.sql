-- The bridge's memory of the credit notes it made in Dolibarr for refunds (issue 13), one row per refund keyed by
-- the refund's own transaction_key (refunds.transaction_key, carried by order.refunded). Every Dolibarr id is
-- stored as soon as Dolibarr returns it, so a retry resumes (credit note found by id, else by its ref_ext
-- RF-<shop order>-<hash of the key>) instead of making a second credit note or a second refund payment.
-- No foreign key to refunds: like dolibarr_links, the bridge may relay events of another shop database.
-- Portable MariaDB 10.11 / MySQL 8.0.16+.

CREATE TABLE dolibarr_refunds (
    transaction_key     VARCHAR(190) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    shop_order_id       BIGINT       NOT NULL,
    amount_cents        BIGINT       NOT NULL,
    -- The standard invoice credited (fk_facture_source), as found when the row was made.
    invoice_id          BIGINT       NULL,
    credit_note_id      BIGINT       NULL,
    credit_note_ref     VARCHAR(64)  NULL,
    validated_at        DATETIME(6)  NULL,
    -- The refund payment (money out, POST /invoices/paymentsdistributed); paid_at set even when its id could
    -- not be read back (found already paid).
    payment_id          BIGINT       NULL,
    paid_at             DATETIME(6)  NULL,
    -- Why nothing was written in Dolibarr (e.g. the order was never invoiced there): a person decides.
    needs_review        VARCHAR(500) NULL,
    created_at          DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at          DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT ck_dolibarr_refunds_key CHECK (CHAR_LENGTH(transaction_key) > 0),
    CONSTRAINT ck_dolibarr_refunds_order CHECK (shop_order_id > 0),
    CONSTRAINT ck_dolibarr_refunds_amount CHECK (amount_cents > 0),
    INDEX ix_dolibarr_refunds_order (shop_order_id),
    INDEX ix_dolibarr_refunds_credit_note (credit_note_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
