-- Stand-in of the few PrestaShop 8.2 tables the OC Pizza module touches. NOT PrestaShop's schema: only the
-- columns the stand-in classes use, with PrestaShop's names. Built ids follow PrestaShop's defaults.
CREATE TABLE ps_configuration (name VARCHAR(254) NOT NULL PRIMARY KEY, value TEXT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE ps_module (id_module INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL UNIQUE, active TINYINT NOT NULL DEFAULT 1) ENGINE=InnoDB;
CREATE TABLE ps_hook_module (module VARCHAR(64) NOT NULL, hook VARCHAR(191) NOT NULL, PRIMARY KEY (module, hook)) ENGINE=InnoDB;
-- Payment module restrictions (Payment > Preferences), as PrestaShop's tables: country, carrier reference, customer group.
CREATE TABLE ps_module_country (id_module INT UNSIGNED NOT NULL, id_shop INT UNSIGNED NOT NULL DEFAULT 1, id_country INT UNSIGNED NOT NULL, PRIMARY KEY (id_module, id_shop, id_country)) ENGINE=InnoDB;
CREATE TABLE ps_module_carrier (id_module INT UNSIGNED NOT NULL, id_shop INT UNSIGNED NOT NULL DEFAULT 1, id_reference INT UNSIGNED NOT NULL, PRIMARY KEY (id_module, id_shop, id_reference)) ENGINE=InnoDB;
CREATE TABLE ps_module_group (id_module INT UNSIGNED NOT NULL, id_shop INT UNSIGNED NOT NULL DEFAULT 1, id_group INT UNSIGNED NOT NULL, PRIMARY KEY (id_module, id_shop, id_group)) ENGINE=InnoDB;
CREATE TABLE ps_customer_group (id_customer INT UNSIGNED NOT NULL, id_group INT UNSIGNED NOT NULL, PRIMARY KEY (id_customer, id_group)) ENGINE=InnoDB;
CREATE TABLE ps_module_currency (id_module INT UNSIGNED NOT NULL, id_currency INT UNSIGNED NOT NULL, PRIMARY KEY (id_module, id_currency)) ENGINE=InnoDB;
CREATE TABLE ps_currency (id_currency INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, iso_code CHAR(3) NOT NULL, iso_code_num CHAR(3) NOT NULL, `precision` INT NOT NULL DEFAULT 2) ENGINE=InnoDB;
CREATE TABLE ps_customer (id_customer INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255) NOT NULL, firstname VARCHAR(255) NOT NULL, lastname VARCHAR(255) NOT NULL, secure_key VARCHAR(32) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE ps_address (id_address INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, id_customer INT UNSIGNED NOT NULL, address1 VARCHAR(128) NOT NULL, address2 VARCHAR(128) NOT NULL DEFAULT '', postcode VARCHAR(12) NOT NULL, city VARCHAR(64) NOT NULL, id_country INT UNSIGNED NOT NULL, phone VARCHAR(32) NOT NULL DEFAULT '', phone_mobile VARCHAR(32) NOT NULL DEFAULT '') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE ps_carrier (id_carrier INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, id_reference INT UNSIGNED NOT NULL DEFAULT 0, name VARCHAR(64) NOT NULL, active TINYINT NOT NULL DEFAULT 1, deleted TINYINT NOT NULL DEFAULT 0) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE ps_product (id_product INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, reference VARCHAR(64) NOT NULL, name VARCHAR(128) NOT NULL, price_wt DECIMAL(20,6) NOT NULL, rate DECIMAL(10,3) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE ps_cart (id_cart INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, id_customer INT UNSIGNED NOT NULL, id_currency INT UNSIGNED NOT NULL, id_address_delivery INT UNSIGNED NOT NULL, id_carrier INT UNSIGNED NOT NULL, id_lang INT UNSIGNED NOT NULL DEFAULT 1, id_shop INT UNSIGNED NOT NULL DEFAULT 1, secure_key VARCHAR(32) NOT NULL, shipping_wt DECIMAL(20,6) NOT NULL DEFAULT 0, shipping_rate DECIMAL(10,3) NOT NULL DEFAULT 0) ENGINE=InnoDB;
CREATE TABLE ps_cart_product (id_cart INT UNSIGNED NOT NULL, id_product INT UNSIGNED NOT NULL, quantity INT UNSIGNED NOT NULL, PRIMARY KEY (id_cart, id_product)) ENGINE=InnoDB;
CREATE TABLE ps_cart_cart_rule (id_cart INT UNSIGNED NOT NULL, name VARCHAR(254) NOT NULL, value_real DECIMAL(20,6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE ps_orders (id_order INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, reference VARCHAR(9) NOT NULL, id_cart INT UNSIGNED NOT NULL, id_customer INT UNSIGNED NOT NULL, id_currency INT UNSIGNED NOT NULL, id_address_delivery INT UNSIGNED NOT NULL, id_carrier INT UNSIGNED NOT NULL, id_lang INT UNSIGNED NOT NULL, current_state INT UNSIGNED NOT NULL DEFAULT 0, module VARCHAR(255) NOT NULL, payment VARCHAR(255) NOT NULL, secure_key VARCHAR(32) NOT NULL, total_paid DECIMAL(20,6) NOT NULL, total_paid_tax_incl DECIMAL(20,6) NOT NULL, total_paid_real DECIMAL(20,6) NOT NULL DEFAULT 0, total_shipping_tax_incl DECIMAL(20,6) NOT NULL DEFAULT 0, total_discounts_tax_incl DECIMAL(20,6) NOT NULL DEFAULT 0, carrier_tax_rate DECIMAL(10,3) NOT NULL DEFAULT 0, valid TINYINT NOT NULL DEFAULT 0, date_add DATETIME NOT NULL, KEY (id_cart)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE ps_order_history (id_order_history INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, id_order INT UNSIGNED NOT NULL, id_order_state INT UNSIGNED NOT NULL, date_add DATETIME NOT NULL) ENGINE=InnoDB;
CREATE TABLE ps_order_payment (id_order_payment INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, order_reference VARCHAR(9) NOT NULL, amount DECIMAL(20,6) NOT NULL, payment_method VARCHAR(255) NOT NULL, transaction_id VARCHAR(254) NOT NULL DEFAULT '') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE ps_order_state (id_order_state INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, name TEXT NOT NULL, color VARCHAR(32) NOT NULL DEFAULT '', module_name VARCHAR(255) NOT NULL DEFAULT '', logable TINYINT NOT NULL DEFAULT 0, paid TINYINT NOT NULL DEFAULT 0, invoice TINYINT NOT NULL DEFAULT 0, send_email TINYINT NOT NULL DEFAULT 0, hidden TINYINT NOT NULL DEFAULT 0, unremovable TINYINT NOT NULL DEFAULT 0, delivery TINYINT NOT NULL DEFAULT 0, shipped TINYINT NOT NULL DEFAULT 0, pdf_invoice TINYINT NOT NULL DEFAULT 0, pdf_delivery TINYINT NOT NULL DEFAULT 0, deleted TINYINT NOT NULL DEFAULT 0) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE ps_message (id_message INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, id_order INT UNSIGNED NOT NULL, id_cart INT UNSIGNED NOT NULL DEFAULT 0, id_customer INT UNSIGNED NOT NULL DEFAULT 0, message TEXT NOT NULL, private TINYINT NOT NULL DEFAULT 1) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- classes/order/OrderSlip.php's table (the columns OrderSlipCreator fills) and classes/Employee.php's.
CREATE TABLE ps_order_slip (id_order_slip INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, id_customer INT UNSIGNED NOT NULL, id_order INT UNSIGNED NOT NULL, conversion_rate DECIMAL(13,6) NOT NULL DEFAULT 1, total_products_tax_excl DECIMAL(20,6) NULL, total_products_tax_incl DECIMAL(20,6) NULL, total_shipping_tax_excl DECIMAL(20,6) NULL, total_shipping_tax_incl DECIMAL(20,6) NULL, shipping_cost TINYINT NOT NULL DEFAULT 0, amount DECIMAL(20,6) NOT NULL, shipping_cost_amount DECIMAL(20,6) NOT NULL, partial TINYINT NOT NULL, order_slip_type TINYINT NOT NULL DEFAULT 0, date_add DATETIME NOT NULL) ENGINE=InnoDB;
CREATE TABLE ps_employee (id_employee INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, firstname VARCHAR(255) NOT NULL, lastname VARCHAR(255) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE ps_log (id_log INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, severity TINYINT NOT NULL, message TEXT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- Not PrestaShop: where the tests' gateway double journals the calls the module makes to the extension's Store.
CREATE TABLE standin_gateway_calls (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, method VARCHAR(32) NOT NULL, shop_order_id BIGINT NULL, payload LONGTEXT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO ps_order_state (id_order_state, name, logable, paid, invoice, shipped, delivery) VALUES
 (1, '{"1":"En attente du paiement par chèque","2":"Awaiting check payment"}', 0, 0, 0, 0, 0),
 (2, '{"1":"Paiement accepté","2":"Payment accepted"}', 1, 1, 1, 0, 0),
 (3, '{"1":"En cours de préparation","2":"Processing in progress"}', 1, 1, 1, 0, 0),
 (4, '{"1":"Expédié","2":"Shipped"}', 1, 1, 1, 1, 1),
 (5, '{"1":"Livré","2":"Delivered"}', 1, 1, 1, 1, 1),
 (6, '{"1":"Annulé","2":"Canceled"}', 0, 0, 0, 0, 0),
 (7, '{"1":"Remboursé","2":"Refunded"}', 1, 1, 1, 0, 0),
 (8, '{"1":"Erreur de paiement","2":"Payment error"}', 0, 0, 0, 0, 0);
INSERT INTO ps_configuration (name, value) VALUES ('PS_OS_CHEQUE', '1'), ('PS_OS_PAYMENT', '2'), ('PS_OS_PREPARATION', '3'),
 ('PS_OS_SHIPPING', '4'), ('PS_OS_DELIVERED', '5'), ('PS_OS_CANCELED', '6'), ('PS_OS_REFUND', '7'), ('PS_OS_ERROR', '8'),
 ('PS_LANG_DEFAULT', '1'), ('PS_TIMEZONE', 'Europe/Paris');
INSERT INTO ps_currency (id_currency, iso_code, iso_code_num, `precision`) VALUES (1, 'EUR', '978', 2), (2, 'JPY', '392', 0);
