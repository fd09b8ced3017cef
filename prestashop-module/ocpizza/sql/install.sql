CREATE TABLE IF NOT EXISTS `PREFIX_ocpizza_transaction` (
    `id_ocpizza_transaction` INT UNSIGNED NOT NULL AUTO_INCREMENT,
    `trans_date_day` CHAR(8) NOT NULL,
    `trans_id` CHAR(6) NOT NULL,
    `id_cart` INT UNSIGNED NOT NULL,
    `date_add` DATETIME NOT NULL,
    PRIMARY KEY (`id_ocpizza_transaction`),
    UNIQUE KEY `uq_ocpizza_transaction_day_id` (`trans_date_day`, `trans_id`),
    KEY `ix_ocpizza_transaction_cart` (`id_cart`)
) ENGINE=ENGINE_TYPE DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `PREFIX_ocpizza_cart` (
    `id_cart` INT UNSIGNED NOT NULL,
    `payment_method` VARCHAR(20) NOT NULL,
    `date_upd` DATETIME NOT NULL,
    PRIMARY KEY (`id_cart`)
) ENGINE=ENGINE_TYPE DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `PREFIX_ocpizza_order` (
    `id_order` INT UNSIGNED NOT NULL,
    `ocp_order_id` BIGINT UNSIGNED NOT NULL,
    `fulfilment` VARCHAR(16) NOT NULL,
    `oc_status` VARCHAR(20) NOT NULL,
    `date_add` DATETIME NOT NULL,
    `date_upd` DATETIME NOT NULL,
    PRIMARY KEY (`id_order`)
) ENGINE=ENGINE_TYPE DEFAULT CHARSET=utf8mb4
;

CREATE TABLE IF NOT EXISTS `PREFIX_ocpizza_refused` (
    `id_order` INT UNSIGNED NOT NULL,
    `reason` VARCHAR(255) NOT NULL,
    `date_upd` DATETIME NOT NULL,
    PRIMARY KEY (`id_order`)
) ENGINE=ENGINE_TYPE DEFAULT CHARSET=utf8mb4
;

CREATE TABLE IF NOT EXISTS `PREFIX_ocpizza_refund` (
    `id_ocpizza_refund` INT UNSIGNED NOT NULL AUTO_INCREMENT,
    `id_order` INT UNSIGNED NOT NULL,
    `refund_key` VARCHAR(64) NOT NULL,
    `id_order_slip` INT UNSIGNED NULL,
    `amount_cents` BIGINT NOT NULL,
    `currency` CHAR(3) NOT NULL,
    `payment_uuid` VARCHAR(64) NOT NULL DEFAULT '',
    `state` VARCHAR(16) NOT NULL,
    `resolution` VARCHAR(24) NOT NULL DEFAULT '',
    `answer_uuid` VARCHAR(64) NOT NULL DEFAULT '',
    `answer_amount_cents` BIGINT NULL,
    `transaction_key` VARCHAR(190) NOT NULL DEFAULT '',
    `error_code` VARCHAR(64) NOT NULL DEFAULT '',
    `message` VARCHAR(512) NOT NULL DEFAULT '',
    `reason` VARCHAR(255) NOT NULL DEFAULT '',
    `requested_by` VARCHAR(120) NOT NULL DEFAULT '',
    `date_add` DATETIME NOT NULL,
    `date_upd` DATETIME NOT NULL,
    PRIMARY KEY (`id_ocpizza_refund`),
    UNIQUE KEY `uq_ocpizza_refund_key` (`refund_key`),
    KEY `ix_ocpizza_refund_order` (`id_order`),
    KEY `ix_ocpizza_refund_state` (`state`)
) ENGINE=ENGINE_TYPE DEFAULT CHARSET=utf8mb4
