-- Demo customers and orders, loaded only by `ocpizza-bridge seed --demo-orders` (make demo, tests), never by a plain
-- `seed`: a production database gets no fictitious customer or order.
-- Their ids and references are ones a real PrestaShop can never produce, so they never meet a real order:
-- * shop_customer_id 9000000101–9000000106 and shop_order_id 9000000001–9000000008: PrestaShop's id_customer and
--   id_order are INT(10) UNSIGNED AUTO_INCREMENT (at most 4294967295); OCPizza_DB's are BIGINT.
-- * references DEMO-0001…DEMO-0008: Order::generateReference() makes 9 upper-case letters (no digit, no hyphen).
-- Keyed on the same natural keys as chain.sql: loading it twice changes nothing. Past orders are history: they do
-- not move stock and publish no outbox event.

-- Customers and their addresses ----------------------------------------------------------------------------------------
INSERT INTO customers (shop_customer_id, email, first_name, last_name, phone) VALUES
 (9000000101, 'marie.dupont@example.fr',    'Marie',   'Dupont',   '+33 6 01 02 03 04'),
 (9000000102, 'paul.martin@example.fr',     'Paul',    'Martin',   '+33 6 05 06 07 08'),
 (9000000103, 'ines.benaissa@example.fr',   'Inès',    'Benaïssa', '+33 7 11 12 13 14'),
 (9000000104, 'jean-luc.roche@example.fr',  'Jean-Luc', 'Roche',   NULL),
 (9000000105, 'aurelie.vidal@example.com',  'Aurélie', 'Vidal',    '+33 6 21 22 23 24'),
 (9000000106, 'kevin.nguyen@example.org',   'Kévin',   'Nguyen',   '+33 6 31 32 33 34')
ON DUPLICATE KEY UPDATE shop_customer_id = shop_customer_id;

INSERT INTO customer_addresses (customer_id, line1, line2, postcode, city, country) VALUES
 ((SELECT id FROM customers WHERE shop_customer_id = 9000000101), '8 rue de la République', '3e étage', '69002', 'Lyon', 'FR'),
 ((SELECT id FROM customers WHERE shop_customer_id = 9000000102), '27 rue d''Austerlitz', '', '69004', 'Lyon', 'FR'),
 ((SELECT id FROM customers WHERE shop_customer_id = 9000000103), '102 cours Émile Zola', 'Bât. B', '69100', 'Villeurbanne', 'FR'),
 ((SELECT id FROM customers WHERE shop_customer_id = 9000000105), '14 quai Pierre Scize', '', '69005', 'Lyon', 'FR'),
 ((SELECT id FROM customers WHERE shop_customer_id = 9000000106), '3 rue de Gerland', 'Digicode 4521', '69007', 'Lyon', 'FR')
ON DUPLICATE KEY UPDATE customer_addresses.id = customer_addresses.id;

-- Past orders in various states (shop order ids 9000000001–9000000008). Totals equal the sum of their lines.
INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, delivery_address_id,
                    payment_method, currency, total_cents, status, placed_at) VALUES
 (9000000001, 'DEMO-0001', (SELECT id FROM restaurants WHERE code = 'BELLECOUR'), (SELECT id FROM customers WHERE shop_customer_id = 9000000101),
  'delivery', (SELECT a.id FROM customer_addresses a JOIN customers c ON c.id = a.customer_id WHERE c.shop_customer_id = 9000000101 AND a.postcode = '69002'),
  'card_online', 'EUR', 2930, 'delivered', '2026-11-20 19:02:11'),
 (9000000002, 'DEMO-0002', (SELECT id FROM restaurants WHERE code = 'CROIX-ROUSSE'), (SELECT id FROM customers WHERE shop_customer_id = 9000000102),
  'takeaway', NULL, 'at_restaurant', 'EUR', 1490, 'picked_up', '2026-11-21 12:15:40'),
 (9000000003, 'DEMO-0003', (SELECT id FROM restaurants WHERE code = 'PART-DIEU'), (SELECT id FROM customers WHERE shop_customer_id = 9000000103),
  'delivery', (SELECT a.id FROM customer_addresses a JOIN customers c ON c.id = a.customer_id WHERE c.shop_customer_id = 9000000103 AND a.postcode = '69100'),
  'cash_on_delivery', 'EUR', 3990, 'cancelled', '2026-11-22 20:41:05'),
 (9000000004, 'DEMO-0004', (SELECT id FROM restaurants WHERE code = 'VAISE'), (SELECT id FROM customers WHERE shop_customer_id = 9000000105),
  'delivery', (SELECT a.id FROM customer_addresses a JOIN customers c ON c.id = a.customer_id WHERE c.shop_customer_id = 9000000105 AND a.postcode = '69005'),
  'card_on_delivery', 'EUR', 2590, 'out_for_delivery', '2026-11-28 19:30:00'),
 (9000000005, 'DEMO-0005', (SELECT id FROM restaurants WHERE code = 'GERLAND'), (SELECT id FROM customers WHERE shop_customer_id = 9000000106),
  'delivery', (SELECT a.id FROM customer_addresses a JOIN customers c ON c.id = a.customer_id WHERE c.shop_customer_id = 9000000106 AND a.postcode = '69007'),
  'card_online', 'EUR', 4240, 'in_preparation', '2026-11-28 19:45:12'),
 (9000000006, 'DEMO-0006', (SELECT id FROM restaurants WHERE code = 'BELLECOUR'), (SELECT id FROM customers WHERE shop_customer_id = 9000000104),
  'takeaway', NULL, 'at_restaurant', 'EUR', 1840, 'ready', '2026-11-28 20:01:30'),
 (9000000007, 'DEMO-0007', (SELECT id FROM restaurants WHERE code = 'PART-DIEU'), (SELECT id FROM customers WHERE shop_customer_id = 9000000103),
  'delivery', (SELECT a.id FROM customer_addresses a JOIN customers c ON c.id = a.customer_id WHERE c.shop_customer_id = 9000000103 AND a.postcode = '69100'),
  'card_online', 'EUR', 2730, 'accepted', '2026-11-28 20:10:00'),
 (9000000008, 'DEMO-0008', (SELECT id FROM restaurants WHERE code = 'CROIX-ROUSSE'), (SELECT id FROM customers WHERE shop_customer_id = 9000000102),
  'delivery', (SELECT a.id FROM customer_addresses a JOIN customers c ON c.id = a.customer_id WHERE c.shop_customer_id = 9000000102 AND a.postcode = '69004'),
  'cash_on_delivery', 'EUR', 2380, 'received', '2026-11-28 20:12:45')
ON DUPLICATE KEY UPDATE orders.id = orders.id;

INSERT INTO order_lines (order_id, line_no, kind, product_id, name, quantity, unit_price_cents, vat_rate)
SELECT o.id, l.line_no, l.kind, p.id, l.name, l.quantity, l.price, l.vat FROM (
           SELECT 9000000001 AS shop_order_id, 1 AS line_no, 'product' AS kind, 'PIZZA-REINE' AS sku, 'Pizza Reine' AS name, 2 AS quantity, 1190 AS price, 10.00 AS vat
 UNION ALL SELECT 9000000001, 2, 'product',  'DRINK-COLA-33',      'Coca-Cola 33 cl',       1,  300,  5.50
 UNION ALL SELECT 9000000001, 3, 'delivery', NULL,                 'Frais de livraison',    1,  250, 10.00
 UNION ALL SELECT 9000000002, 1, 'product',  'PIZZA-MARGHERITA',   'Pizza Margherita',      1,  990, 10.00
 UNION ALL SELECT 9000000002, 2, 'product',  'DESSERT-TIRAMISU',   'Tiramisu maison',       1,  550, 10.00
 UNION ALL SELECT 9000000002, 3, 'discount', NULL,                 'Code BIENVENUE',        1,  -50, 10.00
 UNION ALL SELECT 9000000003, 1, 'product',  'PIZZA-4FROMAGES',    'Pizza Quatre fromages', 2, 1350, 10.00
 UNION ALL SELECT 9000000003, 2, 'product',  'PIZZA-DIAVOLA',      'Pizza Diavola',         1, 1290, 10.00
 UNION ALL SELECT 9000000004, 1, 'product',  'PIZZA-SAUMON',       'Pizza Saumon',          1, 1450, 10.00
 UNION ALL SELECT 9000000004, 2, 'product',  'PIZZA-VEGETARIENNE', 'Pizza Végétarienne',    1, 1190, 10.00
 UNION ALL SELECT 9000000004, 3, 'delivery', NULL,                 'Frais de livraison',    1,  250, 10.00
 UNION ALL SELECT 9000000004, 4, 'discount', NULL,                 'Fidélité -3 €',         1, -300, 10.00
 UNION ALL SELECT 9000000005, 1, 'product',  'PIZZA-BBQ-POULET',   'Pizza Barbecue poulet', 2, 1350, 10.00
 UNION ALL SELECT 9000000005, 2, 'product',  'DRINK-BIERE-33',     'Bière Peroni 33 cl',    2,  400, 20.00
 UNION ALL SELECT 9000000005, 3, 'product',  'DESSERT-FONDANT',    'Fondant au chocolat',   1,  500, 10.00
 UNION ALL SELECT 9000000005, 4, 'delivery', NULL,                 'Frais de livraison',    1,  240, 10.00
 UNION ALL SELECT 9000000006, 1, 'product',  'PIZZA-CALZONE',      'Calzone',               1, 1250, 10.00
 UNION ALL SELECT 9000000006, 2, 'product',  'DESSERT-PANNACOTTA', 'Panna cotta coulis fruits rouges', 1, 450, 10.00
 UNION ALL SELECT 9000000006, 3, 'product',  'DRINK-LIMONADE-33',  'Limonade artisanale 33 cl', 1, 350, 5.50
 UNION ALL SELECT 9000000006, 4, 'discount', NULL,                 'Offre du midi',         1, -210, 10.00
 UNION ALL SELECT 9000000007, 1, 'product',  'PIZZA-PARMA',        'Pizza Parma',           1, 1450, 10.00
 UNION ALL SELECT 9000000007, 2, 'product',  'PIZZA-NAPOLITAINE',  'Pizza Napolitaine',     1, 1150, 10.00
 UNION ALL SELECT 9000000007, 3, 'product',  'DRINK-EAU-50',       'Eau minérale 50 cl',    1,  200,  5.50
 UNION ALL SELECT 9000000007, 4, 'discount', NULL,                 'Code LYON10',           1, -320, 10.00
 UNION ALL SELECT 9000000007, 5, 'delivery', NULL,                 'Frais de livraison',    1,  250, 10.00
 UNION ALL SELECT 9000000008, 1, 'product',  'PIZZA-THON',         'Pizza Thon',            2, 1190, 10.00
) l
JOIN orders o ON o.shop_order_id = l.shop_order_id
LEFT JOIN products p ON p.sku = l.sku
ON DUPLICATE KEY UPDATE order_lines.id = order_lines.id;

-- Status history, following the state machine of ocpizza-core.
INSERT INTO order_status_history (order_id, seq, from_status, to_status, note, changed_at)
SELECT o.id, h.seq, h.from_status, h.to_status, h.note, h.changed_at FROM (
           SELECT 9000000001 AS shop_order_id, 1 AS seq, NULL AS from_status, 'received' AS to_status, NULL AS note, '2026-11-20 19:02:11' AS changed_at
 UNION ALL SELECT 9000000001, 2, 'received',        'accepted',         NULL,                         '2026-11-20 19:03:00'
 UNION ALL SELECT 9000000001, 3, 'accepted',        'in_preparation',   NULL,                         '2026-11-20 19:05:30'
 UNION ALL SELECT 9000000001, 4, 'in_preparation',  'ready',            NULL,                         '2026-11-20 19:14:10'
 UNION ALL SELECT 9000000001, 5, 'ready',           'out_for_delivery', 'Karim',                      '2026-11-20 19:16:00'
 UNION ALL SELECT 9000000001, 6, 'out_for_delivery','delivered',        NULL,                         '2026-11-20 19:31:45'
 UNION ALL SELECT 9000000002, 1, NULL,              'received',         NULL,                         '2026-11-21 12:15:40'
 UNION ALL SELECT 9000000002, 2, 'received',        'accepted',         NULL,                         '2026-11-21 12:16:00'
 UNION ALL SELECT 9000000002, 3, 'accepted',        'in_preparation',   NULL,                         '2026-11-21 12:17:00'
 UNION ALL SELECT 9000000002, 4, 'in_preparation',  'ready',            NULL,                         '2026-11-21 12:24:00'
 UNION ALL SELECT 9000000002, 5, 'ready',           'picked_up',        NULL,                         '2026-11-21 12:40:00'
 UNION ALL SELECT 9000000003, 1, NULL,              'received',         NULL,                         '2026-11-22 20:41:05'
 UNION ALL SELECT 9000000003, 2, 'received',        'cancelled',        'Client injoignable',         '2026-11-22 20:50:00'
 UNION ALL SELECT 9000000004, 1, NULL,              'received',         NULL,                         '2026-11-28 19:30:00'
 UNION ALL SELECT 9000000004, 2, 'received',        'accepted',         NULL,                         '2026-11-28 19:31:00'
 UNION ALL SELECT 9000000004, 3, 'accepted',        'in_preparation',   NULL,                         '2026-11-28 19:33:00'
 UNION ALL SELECT 9000000004, 4, 'in_preparation',  'ready',            NULL,                         '2026-11-28 19:42:00'
 UNION ALL SELECT 9000000004, 5, 'ready',           'out_for_delivery', 'Yanis',                      '2026-11-28 19:44:00'
 UNION ALL SELECT 9000000005, 1, NULL,              'received',         NULL,                         '2026-11-28 19:45:12'
 UNION ALL SELECT 9000000005, 2, 'received',        'accepted',         NULL,                         '2026-11-28 19:46:00'
 UNION ALL SELECT 9000000005, 3, 'accepted',        'in_preparation',   NULL,                         '2026-11-28 19:48:00'
 UNION ALL SELECT 9000000006, 1, NULL,              'received',         NULL,                         '2026-11-28 20:01:30'
 UNION ALL SELECT 9000000006, 2, 'received',        'accepted',         NULL,                         '2026-11-28 20:02:00'
 UNION ALL SELECT 9000000006, 3, 'accepted',        'in_preparation',   NULL,                         '2026-11-28 20:03:00'
 UNION ALL SELECT 9000000006, 4, 'in_preparation',  'ready',            NULL,                         '2026-11-28 20:12:00'
 UNION ALL SELECT 9000000007, 1, NULL,              'received',         NULL,                         '2026-11-28 20:10:00'
 UNION ALL SELECT 9000000007, 2, 'received',        'accepted',         NULL,                         '2026-11-28 20:11:00'
 UNION ALL SELECT 9000000008, 1, NULL,              'received',         NULL,                         '2026-11-28 20:12:45'
) h
JOIN orders o ON o.shop_order_id = h.shop_order_id
-- The history is append-only (an UPDATE, even a no-op one, is refused by trigger): skip rows already there.
WHERE NOT EXISTS (SELECT 1 FROM order_status_history x WHERE x.order_id = o.id AND x.seq = h.seq);

-- Online card payments of the past orders (SogeCommerce), and the cash one of the takeaway order.
INSERT INTO payments (order_id, provider, transaction_key, amount_cents, currency, status, raw_status,
                      transaction_id, transaction_uuid, occurred_at)
SELECT o.id, p.provider, p.tkey, p.amount, 'EUR', p.status, p.raw, p.trans_id, p.uuid, p.at FROM (
           SELECT 9000000001 AS shop_order_id, 'sogecommerce' AS provider, 'seed-12345678-20261120-702131-DEBIT-1-CAPTURED' AS tkey, 2930 AS amount,
                  'paid' AS status, 'CAPTURED' AS raw, '702131' AS trans_id, '6a1f0c3e9b8d4f2a8c7e5d3b1a9f0e21' AS uuid, '2026-11-20 19:02:40' AS at
 UNION ALL SELECT 9000000002, 'restaurant', 'seed-restaurant-2', 1490, 'paid', 'PAID_AT_COUNTER', NULL, NULL, '2026-11-21 12:40:00'
 UNION ALL SELECT 9000000005, 'sogecommerce', 'seed-12345678-20261128-714512-DEBIT-1-AUTHORISED', 4240,
                  'paid', 'AUTHORISED', '714512', '0b7d2e4f6a8c1e3d5f7a9b0c2d4e6f81', '2026-11-28 19:45:50'
 UNION ALL SELECT 9000000007, 'sogecommerce', 'seed-12345678-20261128-726000-DEBIT-1-AUTHORISED', 2730,
                  'paid', 'AUTHORISED', '726000', 'c3e5a7b9d1f3e5a7c9b1d3f5a7c9e1b3', '2026-11-28 20:10:30'
) p
JOIN orders o ON o.shop_order_id = p.shop_order_id
ON DUPLICATE KEY UPDATE payments.id = payments.id;

-- The staff app's change counter (migration 20261207000030): a device already polling the queue learns of the demo
-- orders. A second load finds them counted (change_seq > 0) and changes nothing; updated_at is kept as loaded.
INSERT INTO restaurant_changes (restaurant_id, version)
SELECT o.restaurant_id, 1 FROM orders o
WHERE o.shop_order_id BETWEEN 9000000001 AND 9000000008 AND o.change_seq = 0
GROUP BY o.restaurant_id
ON DUPLICATE KEY UPDATE version = version + 1;

UPDATE orders o JOIN restaurant_changes c ON c.restaurant_id = o.restaurant_id
SET o.change_seq = c.version, o.updated_at = o.updated_at
WHERE o.shop_order_id BETWEEN 9000000001 AND 9000000008 AND o.change_seq = 0;
