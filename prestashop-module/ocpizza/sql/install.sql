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
