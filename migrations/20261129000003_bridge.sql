-- OCPizza_DB, part 3: the bridge's durable inbox and its delivery queue (one row per event and destination).
-- A webhook is acknowledged only after its inbox row and all its delivery rows are committed together.

-- Every event received, keyed by (source, webhook_id): a re-sent id finds its row and adds nothing.
-- body holds the exact bytes that were signed; received_via tells a webhook from a reconciled outbox row.
CREATE TABLE inbox (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    source       VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    webhook_id   VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    event_type   VARCHAR(40)  NOT NULL,
    event_time   VARCHAR(40)  NOT NULL,
    shop_order_id BIGINT      NULL,
    body         MEDIUMBLOB   NOT NULL,
    received_via VARCHAR(16)  NOT NULL,
    received_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_inbox_webhook UNIQUE (source, webhook_id),
    CONSTRAINT ck_inbox_event_type CHECK (event_type IN ('order.created', 'order.paid', 'order.payment_failed', 'order.status_changed', 'stock.shortage')),
    CONSTRAINT ck_inbox_received_via CHECK (received_via IN ('webhook', 'reconcile'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The relay queue. attempt counts attempts started (claims); lease_* are set while a worker holds the row.
-- partition_key groups one order's events: per destination only the oldest pending/inflight row of a partition
-- is claimed, so Dolibarr sees an order's events in order (a dead row does not block the ones after it).
CREATE TABLE deliveries (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    inbox_id        BIGINT        NOT NULL,
    destination     VARCHAR(32)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    partition_key   VARCHAR(80)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    status          VARCHAR(16)   NOT NULL DEFAULT 'pending',
    attempt         INT           NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    lease_until     DATETIME(6)   NULL,
    lease_owner     VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NULL,
    last_error      VARCHAR(2000) NULL,
    result          LONGTEXT      NULL,
    created_at      DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at      DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    finished_at     DATETIME(6)   NULL,
    CONSTRAINT uq_deliveries_inbox_destination UNIQUE (inbox_id, destination),
    CONSTRAINT fk_deliveries_inbox FOREIGN KEY (inbox_id) REFERENCES inbox (id),
    CONSTRAINT ck_deliveries_status CHECK (status IN ('pending', 'inflight', 'done', 'dead')),
    CONSTRAINT ck_deliveries_attempt CHECK (attempt >= 0),
    CONSTRAINT ck_deliveries_lease CHECK ((status = 'inflight') = (lease_until IS NOT NULL AND lease_owner IS NOT NULL)),
    CONSTRAINT ck_deliveries_result CHECK (result IS NULL OR JSON_VALID(result)),
    INDEX ix_deliveries_due (status, next_attempt_at),
    INDEX ix_deliveries_first (status, attempt, next_attempt_at),
    INDEX ix_deliveries_partition (destination, partition_key, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
