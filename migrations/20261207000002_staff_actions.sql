-- OCPizza_DB, part 8: what the restaurants do from their iPhones (issue 12).

-- Who changed a status: NULL = the shop (its back office or the payment flow), else the staff member who did it
-- through the bridge's staff API. Adding a nullable column keeps every existing row and the append-only triggers.
ALTER TABLE order_status_history
    ADD COLUMN changed_by_staff_id BIGINT NULL AFTER note,
    ADD CONSTRAINT fk_order_status_history_staff FOREIGN KEY (changed_by_staff_id) REFERENCES staff (id);

-- Idempotency of the staff API's payments (`Idempotency-Key`), scoped to the staff member: the first request's
-- answer is stored in the same transaction as the payment it records, and a retry with the same key gets it back.
-- request_hash (SHA-256 of the method, path and body) tells a retry from a different request reusing the key.
CREATE TABLE staff_idempotency (
    staff_id        BIGINT       NOT NULL,
    idempotency_key VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    request_hash    BINARY(32)   NOT NULL,
    response_status SMALLINT     NOT NULL,
    response_body   LONGTEXT     NOT NULL,
    created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (staff_id, idempotency_key),
    CONSTRAINT fk_staff_idempotency_staff FOREIGN KEY (staff_id) REFERENCES staff (id),
    CONSTRAINT ck_staff_idempotency_status CHECK (response_status BETWEEN 100 AND 599),
    CONSTRAINT ck_staff_idempotency_body CHECK (JSON_VALID(response_body))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
