-- APNs fan-out bookkeeping: one row per (delivery, device), so that a retried delivery never re-sends a push to a
-- device APNs already accepted. delivery_id is the bridge's delivery row id (no foreign key: the deliveries table
-- comes from the relay engine's own migration, and tests drive the destination without it).
CREATE TABLE push_sends (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    delivery_id BIGINT       NOT NULL,
    device_id   BIGINT       NOT NULL,
    -- pending: not accepted yet (retried); sent: APNs answered 200; unregistered: 410 or a token APNs refuses;
    -- skipped: the device was unregistered before its turn. A refusal that is not the device's fault (403, 413,
    -- a relay bug) leaves the row pending with its reason, so that a replay after the fix sends it.
    status      VARCHAR(16)  NOT NULL DEFAULT 'pending',
    attempts    INT          NOT NULL DEFAULT 0,
    apns_id     VARCHAR(36)  CHARACTER SET ascii COLLATE ascii_bin NULL,
    http_status SMALLINT     NULL,
    reason      VARCHAR(64)  NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_push_sends UNIQUE (delivery_id, device_id),
    CONSTRAINT fk_push_sends_device FOREIGN KEY (device_id) REFERENCES devices (id),
    CONSTRAINT ck_push_sends_status CHECK (status IN ('pending', 'sent', 'unregistered', 'skipped')),
    CONSTRAINT ck_push_sends_attempts CHECK (attempts >= 0),
    CONSTRAINT ck_push_sends_sent CHECK (status <> 'sent' OR apns_id IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
