-- Rows of our own for StorePublishTest (on an empty migrated database): one restaurant, one pizza with a recipe,
-- the cola and the delivery fee of Orders::delivery().
INSERT INTO restaurants (code, name, address_line1, postcode, city, phone, active) VALUES
  ('TESTA', 'Test A', '1 place Test', '69002', 'Lyon', '+33 4 00 00 00 01', TRUE);
INSERT INTO restaurant_delivery_postcodes (postcode, restaurant_id) VALUES
  ('69002', (SELECT id FROM restaurants WHERE code = 'TESTA'));
INSERT INTO ingredients (name, unit) VALUES ('pâte', 'g');
INSERT INTO products (sku, name, kind, price_cents, vat_rate, active) VALUES
  ('PIZZA-T-MARGHERITA', 'Margherita', 'pizza', 990, 10.00, TRUE),
  ('DRINK-COLA-33', 'Cola 33 cl', 'drink', 300, 5.50, TRUE);
INSERT INTO recipes (product_id, preparation_steps, bake_minutes, oven_celsius)
  SELECT id, 'Étaler, garnir, cuire.', 8, 300 FROM products WHERE kind = 'pizza';
INSERT INTO recipe_ingredients (product_id, ingredient_id, quantity)
  SELECT p.id, i.id, 250 FROM products p JOIN ingredients i ON i.name = 'pâte' WHERE p.sku = 'PIZZA-T-MARGHERITA';
INSERT INTO stock (restaurant_id, ingredient_id, quantity)
  SELECT r.id, i.id, 100000 FROM restaurants r JOIN ingredients i ON i.name = 'pâte' WHERE r.code = 'TESTA';
