-- OCPizza_DB, refunds (issue 13): money given back on a paid payment, one row per refund, with its order.refunded
-- outbox event written in the same transaction; outbox and inbox accept the new event type. Money in integer cents.
-- That the refunds of an order never exceed what was paid is checked by the store under the order's row lock (a sum
-- over rows is not a CHECK).
-- Portable MariaDB 10.11 / MySQL 8.0.19+: DROP CONSTRAINT is accepted by both (not MariaDB's DROP CONSTRAINT IF
-- EXISTS nor MySQL's DROP CHECK).

CREATE TABLE refunds (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    payment_id       BIGINT       NOT NULL,
    -- The refund's idempotency key: the gateway's refund transaction, or the shop's refund id.
    transaction_key  VARCHAR(190) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    amount_cents     BIGINT       NOT NULL,
    currency         CHAR(3)      CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    reason           VARCHAR(255) NULL,
    -- Who asked: the shop's back office, the gateway's (learnt from its notification), a restaurant, support.
    source           VARCHAR(16)  NOT NULL,
    requested_by     VARCHAR(120) NULL,
    transaction_id   VARCHAR(64)  NULL,
    transaction_uuid VARCHAR(64)  NULL,
    occurred_at      DATETIME(6)  NOT NULL,
    created_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_refunds_transaction_key UNIQUE (transaction_key),
    CONSTRAINT fk_refunds_payment FOREIGN KEY (payment_id) REFERENCES payments (id),
    CONSTRAINT ck_refunds_transaction_key CHECK (CHAR_LENGTH(transaction_key) > 0),
    CONSTRAINT ck_refunds_amount CHECK (amount_cents > 0),
    CONSTRAINT ck_refunds_currency CHECK (currency REGEXP '^[A-Z]{3}$'),
    CONSTRAINT ck_refunds_reason CHECK (reason IS NULL OR CHAR_LENGTH(TRIM(reason)) > 0),
    CONSTRAINT ck_refunds_source CHECK (source IN ('shop', 'gateway', 'restaurant', 'support')),
    INDEX ix_refunds_payment (payment_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE outbox DROP CONSTRAINT ck_outbox_event_type;

ALTER TABLE outbox ADD CONSTRAINT ck_outbox_event_type CHECK (event_type IN ('order.created', 'order.paid', 'order.payment_failed', 'order.status_changed', 'stock.shortage', 'order.refunded'));

-- The bridge's inbox stores every event it accepts: it takes order.refunded too (stored even while no destination
-- relays it, so that none is lost).
ALTER TABLE inbox DROP CONSTRAINT ck_inbox_event_type;

ALTER TABLE inbox ADD CONSTRAINT ck_inbox_event_type CHECK (event_type IN ('order.created', 'order.paid', 'order.payment_failed', 'order.status_changed', 'stock.shortage', 'order.refunded'));
