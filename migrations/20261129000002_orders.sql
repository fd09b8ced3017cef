-- OCPizza_DB, part 2: orders, payments, status history, stock movements, iOS devices, outbox.
-- Money is integer cents everywhere. Status values are those of the state machine in ocpizza-core (status.rs).

CREATE TABLE orders (
    id                  BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    shop_order_id       BIGINT      NOT NULL,
    reference           VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    restaurant_id       BIGINT      NOT NULL,
    customer_id         BIGINT      NOT NULL,
    fulfilment          VARCHAR(16) NOT NULL,
    delivery_address_id BIGINT      NULL,
    payment_method      VARCHAR(20) NOT NULL,
    currency            CHAR(3)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    total_cents         BIGINT      NOT NULL,
    status              VARCHAR(20) NOT NULL DEFAULT 'received',
    placed_at           DATETIME(6) NOT NULL,
    created_at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_orders_shop_order_id UNIQUE (shop_order_id),
    CONSTRAINT uq_orders_reference UNIQUE (reference),
    CONSTRAINT fk_orders_restaurant FOREIGN KEY (restaurant_id) REFERENCES restaurants (id),
    CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT fk_orders_delivery_address FOREIGN KEY (delivery_address_id) REFERENCES customer_addresses (id),
    CONSTRAINT ck_orders_shop_order_id CHECK (shop_order_id > 0),
    CONSTRAINT ck_orders_reference CHECK (reference REGEXP '^[A-Za-z0-9_-]{1,32}$'),
    CONSTRAINT ck_orders_fulfilment CHECK (fulfilment IN ('delivery', 'takeaway')),
    CONSTRAINT ck_orders_delivery_address CHECK (fulfilment = 'takeaway' OR delivery_address_id IS NOT NULL),
    CONSTRAINT ck_orders_payment_method CHECK (payment_method IN ('card_online', 'card_on_delivery', 'cash_on_delivery', 'at_restaurant')),
    CONSTRAINT ck_orders_currency CHECK (currency REGEXP '^[A-Z]{3}$'),
    CONSTRAINT ck_orders_total CHECK (total_cents >= 0),
    CONSTRAINT ck_orders_status CHECK (status IN ('received', 'accepted', 'in_preparation', 'ready', 'out_for_delivery', 'delivered', 'picked_up', 'cancelled')),
    INDEX ix_orders_restaurant_status (restaurant_id, status, placed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A line is a product, or a free line (delivery fee, discount) carrying only its name.
-- Only a discount line may have a negative unit price, and it must not be positive.
CREATE TABLE order_lines (
    id               BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id         BIGINT        NOT NULL,
    line_no          SMALLINT      NOT NULL,
    kind             VARCHAR(16)   NOT NULL,
    product_id       BIGINT        NULL,
    name             VARCHAR(160)  NOT NULL,
    quantity         INT           NOT NULL,
    unit_price_cents INT           NOT NULL,
    vat_rate         DECIMAL(5, 2) NOT NULL,
    CONSTRAINT uq_order_lines_no UNIQUE (order_id, line_no),
    CONSTRAINT fk_order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT fk_order_lines_product FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT ck_order_lines_line_no CHECK (line_no > 0),
    CONSTRAINT ck_order_lines_kind CHECK (kind IN ('product', 'delivery', 'discount')),
    CONSTRAINT ck_order_lines_product CHECK ((kind = 'product') = (product_id IS NOT NULL)),
    CONSTRAINT ck_order_lines_name CHECK (CHAR_LENGTH(TRIM(name)) > 0),
    CONSTRAINT ck_order_lines_quantity CHECK (quantity > 0),
    CONSTRAINT ck_order_lines_price CHECK ((kind = 'discount' AND unit_price_cents <= 0) OR (kind <> 'discount' AND unit_price_cents >= 0)),
    CONSTRAINT ck_order_lines_vat CHECK (vat_rate >= 0 AND vat_rate <= 30)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per payment event; transaction_key is the gateway notification's idempotency key.
CREATE TABLE payments (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id        BIGINT       NOT NULL,
    provider        VARCHAR(20)  NOT NULL,
    transaction_key VARCHAR(190) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    amount_cents    BIGINT       NOT NULL,
    currency        CHAR(3)      CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    raw_status      VARCHAR(64)  NOT NULL,
    transaction_id  VARCHAR(64)  NULL,
    transaction_uuid VARCHAR(64) NULL,
    occurred_at     DATETIME(6)  NOT NULL,
    created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_payments_transaction_key UNIQUE (transaction_key),
    CONSTRAINT fk_payments_order FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT ck_payments_provider CHECK (provider IN ('sogecommerce', 'card_terminal', 'cash', 'restaurant')),
    CONSTRAINT ck_payments_amount CHECK (amount_cents >= 0),
    CONSTRAINT ck_payments_currency CHECK (currency REGEXP '^[A-Z]{3}$'),
    CONSTRAINT ck_payments_status CHECK (status IN ('paid', 'pending', 'to_validate', 'cancelled', 'failed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Append-only: triggers refuse UPDATE and DELETE. seq numbers each order's changes from 1.
CREATE TABLE order_status_history (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id    BIGINT       NOT NULL,
    seq         INT          NOT NULL,
    from_status VARCHAR(20)  NULL,
    to_status   VARCHAR(20)  NOT NULL,
    note        VARCHAR(500) NULL,
    changed_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_order_status_history_seq UNIQUE (order_id, seq),
    CONSTRAINT fk_order_status_history_order FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT ck_order_status_history_seq CHECK (seq > 0),
    CONSTRAINT ck_order_status_history_from CHECK (from_status IS NULL OR from_status IN ('received', 'accepted', 'in_preparation', 'ready', 'out_for_delivery', 'delivered', 'picked_up', 'cancelled')),
    CONSTRAINT ck_order_status_history_to CHECK (to_status IN ('received', 'accepted', 'in_preparation', 'ready', 'out_for_delivery', 'delivered', 'picked_up', 'cancelled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TRIGGER tr_order_status_history_no_update BEFORE UPDATE ON order_status_history FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'order_status_history is append-only';

CREATE TRIGGER tr_order_status_history_no_delete BEFORE DELETE ON order_status_history FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'order_status_history is append-only';

-- Every change of stock. For an order, delta is what was taken (never more than the stock held) and
-- shortage what the recipe needed beyond it.
CREATE TABLE stock_movements (
    id            BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    restaurant_id BIGINT      NOT NULL,
    ingredient_id BIGINT      NOT NULL,
    order_id      BIGINT      NULL,
    reason        VARCHAR(16) NOT NULL,
    delta         INT         NOT NULL,
    shortage      INT         NOT NULL DEFAULT 0,
    created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT fk_stock_movements_stock FOREIGN KEY (restaurant_id, ingredient_id) REFERENCES stock (restaurant_id, ingredient_id),
    CONSTRAINT fk_stock_movements_order FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT ck_stock_movements_reason CHECK (reason IN ('order', 'delivery', 'adjustment', 'waste')),
    CONSTRAINT ck_stock_movements_order CHECK ((reason = 'order') = (order_id IS NOT NULL)),
    CONSTRAINT ck_stock_movements_shortage CHECK (shortage >= 0),
    INDEX ix_stock_movements_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The restaurants' shared iPhones. A token is unregistered (410 from APNs, or the app said so) rather than deleted,
-- so that a late 410 can be compared with the time of a newer registration.
CREATE TABLE devices (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    token           VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    environment     VARCHAR(16)  NOT NULL,
    restaurant_id   BIGINT       NOT NULL,
    role            VARCHAR(16)  NOT NULL,
    registered_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    unregistered_at DATETIME(6)  NULL,
    CONSTRAINT uq_devices_token UNIQUE (token),
    CONSTRAINT fk_devices_restaurant FOREIGN KEY (restaurant_id) REFERENCES restaurants (id),
    CONSTRAINT ck_devices_token CHECK (token REGEXP '^[0-9a-f]{64,200}$'),
    CONSTRAINT ck_devices_environment CHECK (environment IN ('sandbox', 'production')),
    CONSTRAINT ck_devices_role CHECK (role IN ('manager', 'pizzaiolo', 'driver', 'cashier')),
    INDEX ix_devices_restaurant (restaurant_id, unregistered_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Transactional outbox: written in the same transaction as the change it announces, published to the bridge later.
-- payload is JSON text (LONGTEXT + JSON_VALID behaves the same on MariaDB and MySQL).
CREATE TABLE outbox (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id        VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    event_type      VARCHAR(40)  NOT NULL,
    shop_order_id   BIGINT       NULL,
    payload         LONGTEXT     NOT NULL,
    created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    published_at    DATETIME(6)  NULL,
    attempts        INT          NOT NULL DEFAULT 0,
    last_error      VARCHAR(500) NULL,
    CONSTRAINT uq_outbox_event_id UNIQUE (event_id),
    CONSTRAINT ck_outbox_event_id CHECK (event_id REGEXP '^[A-Za-z0-9_-]{1,64}$'),
    CONSTRAINT ck_outbox_event_type CHECK (event_type IN ('order.created', 'order.paid', 'order.payment_failed', 'order.status_changed', 'stock.shortage')),
    CONSTRAINT ck_outbox_payload CHECK (JSON_VALID(payload)),
    CONSTRAINT ck_outbox_attempts CHECK (attempts >= 0),
    INDEX ix_outbox_pending (published_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
