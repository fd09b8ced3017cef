-- OCPizza_DB, part 1: the chain as its staff describe it.
-- Every rule the seed document asks to test (types, ranges, enums, e-mails, foreign keys) is a constraint here,
-- so the database refuses bad rows on its own, whoever writes them (strict SQL mode, MariaDB 10.11 / MySQL 8).

CREATE TABLE restaurants (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code          VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name          VARCHAR(80)  NOT NULL,
    address_line1 VARCHAR(160) NOT NULL,
    postcode      VARCHAR(10)  NOT NULL,
    city          VARCHAR(80)  NOT NULL,
    phone         VARCHAR(20)  NOT NULL,
    active        BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_restaurants_code UNIQUE (code),
    CONSTRAINT ck_restaurants_code CHECK (code REGEXP '^[A-Z0-9][A-Z0-9-]{1,15}$'),
    CONSTRAINT ck_restaurants_name CHECK (CHAR_LENGTH(TRIM(name)) > 0),
    CONSTRAINT ck_restaurants_postcode CHECK (postcode REGEXP '^[0-9]{5}$'),
    CONSTRAINT ck_restaurants_phone CHECK (phone REGEXP '^[+]?[0-9 ]{6,20}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Opening hours: one row per opening period (a restaurant may close in the afternoon).
-- weekday follows ISO 8601: 1 = Monday … 7 = Sunday. closes_at may be past midnight only as 24:00:00 or less.
CREATE TABLE restaurant_opening_hours (
    restaurant_id BIGINT   NOT NULL,
    weekday       TINYINT  NOT NULL,
    opens_at      TIME     NOT NULL,
    closes_at     TIME     NOT NULL,
    PRIMARY KEY (restaurant_id, weekday, opens_at),
    CONSTRAINT fk_opening_hours_restaurant FOREIGN KEY (restaurant_id) REFERENCES restaurants (id),
    CONSTRAINT ck_opening_hours_weekday CHECK (weekday BETWEEN 1 AND 7),
    CONSTRAINT ck_opening_hours_order CHECK (opens_at < closes_at AND closes_at <= '24:00:00')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Delivery zones: a postcode is served by exactly one restaurant, which is how the shop routes a delivery.
CREATE TABLE restaurant_delivery_postcodes (
    postcode      VARCHAR(10) NOT NULL PRIMARY KEY,
    restaurant_id BIGINT      NOT NULL,
    CONSTRAINT fk_delivery_postcodes_restaurant FOREIGN KEY (restaurant_id) REFERENCES restaurants (id),
    CONSTRAINT ck_delivery_postcodes_postcode CHECK (postcode REGEXP '^[0-9]{5}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE staff (
    id            BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    restaurant_id BIGINT      NOT NULL,
    role          VARCHAR(16) NOT NULL,
    first_name    VARCHAR(60) NOT NULL,
    last_name     VARCHAR(60) NOT NULL,
    email         VARCHAR(190) NULL,
    phone         VARCHAR(20) NULL,
    active        BOOLEAN     NOT NULL DEFAULT TRUE,
    created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_staff_person UNIQUE (restaurant_id, first_name, last_name),
    CONSTRAINT fk_staff_restaurant FOREIGN KEY (restaurant_id) REFERENCES restaurants (id),
    CONSTRAINT ck_staff_role CHECK (role IN ('manager', 'pizzaiolo', 'driver', 'cashier')),
    CONSTRAINT ck_staff_names CHECK (CHAR_LENGTH(TRIM(first_name)) > 0 AND CHAR_LENGTH(TRIM(last_name)) > 0),
    CONSTRAINT ck_staff_email CHECK (email IS NULL OR email REGEXP '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE customers (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    shop_customer_id BIGINT       NOT NULL,
    email            VARCHAR(190) NOT NULL,
    first_name       VARCHAR(60)  NOT NULL,
    last_name        VARCHAR(60)  NOT NULL,
    phone            VARCHAR(20)  NULL,
    created_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_customers_shop_id UNIQUE (shop_customer_id),
    CONSTRAINT ck_customers_shop_id CHECK (shop_customer_id > 0),
    CONSTRAINT ck_customers_email CHECK (email REGEXP '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$'),
    CONSTRAINT ck_customers_phone CHECK (phone IS NULL OR phone REGEXP '^[+]?[0-9 .()-]{6,20}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An address is stored once per customer; line2 is '' rather than NULL so the uniqueness holds.
CREATE TABLE customer_addresses (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id BIGINT       NOT NULL,
    line1       VARCHAR(160) NOT NULL,
    line2       VARCHAR(160) NOT NULL DEFAULT '',
    postcode    VARCHAR(10)  NOT NULL,
    city        VARCHAR(80)  NOT NULL,
    country     CHAR(2)      CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_customer_addresses UNIQUE (customer_id, line1, line2, postcode, city, country),
    CONSTRAINT fk_customer_addresses_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT ck_customer_addresses_line1 CHECK (CHAR_LENGTH(TRIM(line1)) > 0),
    CONSTRAINT ck_customer_addresses_country CHECK (country REGEXP '^[A-Z]{2}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE products (
    id          BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    sku         VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name        VARCHAR(120)  NOT NULL,
    kind        VARCHAR(16)   NOT NULL,
    price_cents INT           NOT NULL,
    vat_rate    DECIMAL(5, 2) NOT NULL,
    description VARCHAR(500)  NOT NULL DEFAULT '',
    active      BOOLEAN       NOT NULL DEFAULT TRUE,
    created_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_products_sku UNIQUE (sku),
    CONSTRAINT ck_products_sku CHECK (sku REGEXP '^[A-Z0-9][A-Z0-9_-]{0,63}$'),
    CONSTRAINT ck_products_kind CHECK (kind IN ('pizza', 'drink', 'dessert', 'other')),
    CONSTRAINT ck_products_price CHECK (price_cents >= 0),
    CONSTRAINT ck_products_vat CHECK (vat_rate >= 0 AND vat_rate <= 30)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Quantities of ingredients are integers in the ingredient's unit (grams, millilitres or pieces).
CREATE TABLE ingredients (
    id   BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(80) NOT NULL,
    unit VARCHAR(8)  NOT NULL,
    CONSTRAINT uq_ingredients_name UNIQUE (name),
    CONSTRAINT ck_ingredients_unit CHECK (unit IN ('g', 'ml', 'piece'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A recipe is what the pizzaiolo reads: the steps, the oven, and (below) the ingredients per unit sold.
CREATE TABLE recipes (
    product_id        BIGINT   NOT NULL PRIMARY KEY,
    preparation_steps TEXT     NOT NULL,
    bake_minutes      SMALLINT NOT NULL,
    oven_celsius      SMALLINT NOT NULL,
    CONSTRAINT fk_recipes_product FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT ck_recipes_steps CHECK (CHAR_LENGTH(TRIM(preparation_steps)) > 0),
    CONSTRAINT ck_recipes_bake CHECK (bake_minutes BETWEEN 1 AND 60),
    CONSTRAINT ck_recipes_oven CHECK (oven_celsius BETWEEN 150 AND 500)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE recipe_ingredients (
    product_id    BIGINT NOT NULL,
    ingredient_id BIGINT NOT NULL,
    quantity      INT    NOT NULL,
    PRIMARY KEY (product_id, ingredient_id),
    CONSTRAINT fk_recipe_ingredients_recipe FOREIGN KEY (product_id) REFERENCES recipes (product_id),
    CONSTRAINT fk_recipe_ingredients_ingredient FOREIGN KEY (ingredient_id) REFERENCES ingredients (id),
    CONSTRAINT ck_recipe_ingredients_quantity CHECK (quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Stock never goes below zero: a shortage is recorded on the movement instead (see stock_movements).
CREATE TABLE stock (
    restaurant_id   BIGINT      NOT NULL,
    ingredient_id   BIGINT      NOT NULL,
    quantity        INT         NOT NULL,
    alert_threshold INT         NOT NULL DEFAULT 0,
    updated_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (restaurant_id, ingredient_id),
    CONSTRAINT fk_stock_restaurant FOREIGN KEY (restaurant_id) REFERENCES restaurants (id),
    CONSTRAINT fk_stock_ingredient FOREIGN KEY (ingredient_id) REFERENCES ingredients (id),
    CONSTRAINT ck_stock_quantity CHECK (quantity >= 0),
    CONSTRAINT ck_stock_threshold CHECK (alert_threshold >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
