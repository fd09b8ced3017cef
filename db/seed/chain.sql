-- Reference data of the chain for OCPizza_DB ("données fictives" of the seed document): five restaurants in Lyon,
-- their staff, delivery postcodes and opening hours, the menu with its recipes, stock. No customer and no order: the
-- demo ones are in demo_orders.sql, loaded only on request (`ocpizza-bridge seed --demo-orders`).
-- Every row is keyed on a natural key and inserted with "ON DUPLICATE KEY UPDATE <key> = <key>" (a no-op on a second
-- load that, unlike INSERT IGNORE, still lets a constraint violation fail loudly), so loading it into a database
-- that already holds real orders changes none of them.

-- Restaurants ------------------------------------------------------------------------------------------------------
INSERT INTO restaurants (code, name, address_line1, postcode, city, phone) VALUES
 ('BELLECOUR',    'OC Pizza Bellecour',    '12 rue Victor Hugo',              '69002', 'Lyon', '+33 4 78 37 12 12'),
 ('CROIX-ROUSSE', 'OC Pizza Croix-Rousse', '5 boulevard de la Croix-Rousse',  '69004', 'Lyon', '+33 4 78 28 40 40'),
 ('PART-DIEU',    'OC Pizza Part-Dieu',    '40 rue de Bonnel',                '69003', 'Lyon', '+33 4 72 61 03 03'),
 ('VAISE',        'OC Pizza Vaise',        '18 rue de Bourgogne',             '69009', 'Lyon', '+33 4 78 83 09 09'),
 ('GERLAND',      'OC Pizza Gerland',      '250 avenue Jean Jaurès',          '69007', 'Lyon', '+33 4 78 72 07 07')
ON DUPLICATE KEY UPDATE code = code;

INSERT INTO restaurant_delivery_postcodes (postcode, restaurant_id) VALUES
 ('69001', (SELECT id FROM restaurants WHERE code = 'BELLECOUR')),
 ('69002', (SELECT id FROM restaurants WHERE code = 'BELLECOUR')),
 ('69004', (SELECT id FROM restaurants WHERE code = 'CROIX-ROUSSE')),
 ('69300', (SELECT id FROM restaurants WHERE code = 'CROIX-ROUSSE')),
 ('69003', (SELECT id FROM restaurants WHERE code = 'PART-DIEU')),
 ('69006', (SELECT id FROM restaurants WHERE code = 'PART-DIEU')),
 ('69100', (SELECT id FROM restaurants WHERE code = 'PART-DIEU')),
 ('69005', (SELECT id FROM restaurants WHERE code = 'VAISE')),
 ('69009', (SELECT id FROM restaurants WHERE code = 'VAISE')),
 ('69007', (SELECT id FROM restaurants WHERE code = 'GERLAND')),
 ('69008', (SELECT id FROM restaurants WHERE code = 'GERLAND'))
ON DUPLICATE KEY UPDATE postcode = postcode;

-- Open Tuesday to Sunday, lunch and dinner; closed on Monday.
INSERT INTO restaurant_opening_hours (restaurant_id, weekday, opens_at, closes_at)
SELECT r.id, d.weekday, s.opens_at, s.closes_at
FROM restaurants r
CROSS JOIN (SELECT 2 AS weekday UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5
            UNION ALL SELECT 6 UNION ALL SELECT 7) d
CROSS JOIN (SELECT '11:30:00' AS opens_at, '14:00:00' AS closes_at
            UNION ALL SELECT '18:30:00', '22:30:00') s
WHERE r.code IN ('BELLECOUR', 'CROIX-ROUSSE', 'PART-DIEU', 'VAISE', 'GERLAND')
ON DUPLICATE KEY UPDATE restaurant_opening_hours.weekday = restaurant_opening_hours.weekday;

-- Staff --------------------------------------------------------------------------------------------------------------
INSERT INTO staff (restaurant_id, role, login, first_name, last_name, email, phone) VALUES
 ((SELECT id FROM restaurants WHERE code = 'BELLECOUR'), 'manager',   'claire.m',    'Claire',   'Moreau',   'claire.moreau@ocpizza.fr',   '+33 6 11 22 33 01'),
 ((SELECT id FROM restaurants WHERE code = 'BELLECOUR'), 'pizzaiolo', 'luca.b',      'Luca',     'Bianchi',  NULL,                         '+33 6 11 22 33 02'),
 ((SELECT id FROM restaurants WHERE code = 'BELLECOUR'), 'pizzaiolo', 'sofia.r',     'Sofia',    'Rinaldi',  NULL,                         '+33 6 11 22 33 03'),
 ((SELECT id FROM restaurants WHERE code = 'BELLECOUR'), 'driver',    'karim.h',     'Karim',    'Haddad',   NULL,                         '+33 6 11 22 33 04'),
 ((SELECT id FROM restaurants WHERE code = 'BELLECOUR'), 'driver',    'julien.p',    'Julien',   'Perrin',   NULL,                         '+33 6 11 22 33 05'),
 ((SELECT id FROM restaurants WHERE code = 'BELLECOUR'), 'cashier',   'emma.g',      'Emma',     'Girard',   'emma.girard@ocpizza.fr',     NULL),
 ((SELECT id FROM restaurants WHERE code = 'CROIX-ROUSSE'), 'manager',   'antoine.l',   'Antoine', 'Lefèvre', 'antoine.lefevre@ocpizza.fr', '+33 6 22 33 44 01'),
 ((SELECT id FROM restaurants WHERE code = 'CROIX-ROUSSE'), 'pizzaiolo', 'marco.e',     'Marco',   'Esposito', NULL,                        '+33 6 22 33 44 02'),
 ((SELECT id FROM restaurants WHERE code = 'CROIX-ROUSSE'), 'driver',    'nadia.b',     'Nadia',   'Benali',  NULL,                         '+33 6 22 33 44 03'),
 ((SELECT id FROM restaurants WHERE code = 'CROIX-ROUSSE'), 'driver',    'hugo.f',      'Hugo',    'Faure',   NULL,                         '+33 6 22 33 44 04'),
 ((SELECT id FROM restaurants WHERE code = 'CROIX-ROUSSE'), 'cashier',   'lea.r',       'Léa',     'Roux',    NULL,                         NULL),
 ((SELECT id FROM restaurants WHERE code = 'PART-DIEU'), 'manager',   'thomas.g',    'Thomas',   'Garnier',  'thomas.garnier@ocpizza.fr',  '+33 6 33 44 55 01'),
 ((SELECT id FROM restaurants WHERE code = 'PART-DIEU'), 'pizzaiolo', 'giulia.r',    'Giulia',   'Romano',   NULL,                         '+33 6 33 44 55 02'),
 ((SELECT id FROM restaurants WHERE code = 'PART-DIEU'), 'pizzaiolo', 'mehdi.s',     'Mehdi',    'Saidi',    NULL,                         '+33 6 33 44 55 03'),
 ((SELECT id FROM restaurants WHERE code = 'PART-DIEU'), 'driver',    'lucas.b',     'Lucas',    'Bonnet',   NULL,                         '+33 6 33 44 55 04'),
 ((SELECT id FROM restaurants WHERE code = 'PART-DIEU'), 'driver',    'ines.c',      'Inès',     'Chevalier', NULL,                        '+33 6 33 44 55 05'),
 ((SELECT id FROM restaurants WHERE code = 'PART-DIEU'), 'driver',    'romain.l',    'Romain',   'Lambert',  NULL,                         '+33 6 33 44 55 06'),
 ((SELECT id FROM restaurants WHERE code = 'PART-DIEU'), 'cashier',   'chloe.f',     'Chloé',    'Fontaine', NULL,                         NULL),
 ((SELECT id FROM restaurants WHERE code = 'VAISE'), 'manager',   'sandrine.m',  'Sandrine', 'Mercier', 'sandrine.mercier@ocpizza.fr', '+33 6 44 55 66 01'),
 ((SELECT id FROM restaurants WHERE code = 'VAISE'), 'pizzaiolo', 'paolo.c',     'Paolo',    'Conti',   NULL,                          '+33 6 44 55 66 02'),
 ((SELECT id FROM restaurants WHERE code = 'VAISE'), 'driver',    'yanis.m',     'Yanis',    'Morel',   NULL,                          '+33 6 44 55 66 03'),
 ((SELECT id FROM restaurants WHERE code = 'VAISE'), 'cashier',   'manon.b',     'Manon',    'Blanc',   NULL,                          NULL),
 ((SELECT id FROM restaurants WHERE code = 'GERLAND'), 'manager',   'olivier.r',   'Olivier', 'Rousseau', 'olivier.rousseau@ocpizza.fr', '+33 6 55 66 77 01'),
 ((SELECT id FROM restaurants WHERE code = 'GERLAND'), 'pizzaiolo', 'francesca.g', 'Francesca', 'Greco',  NULL,                          '+33 6 55 66 77 02'),
 ((SELECT id FROM restaurants WHERE code = 'GERLAND'), 'driver',    'samir.k',     'Samir',   'Kaci',     NULL,                          '+33 6 55 66 77 03'),
 ((SELECT id FROM restaurants WHERE code = 'GERLAND'), 'driver',    'camille.a',   'Camille', 'André',    NULL,                          '+33 6 55 66 77 04'),
 ((SELECT id FROM restaurants WHERE code = 'GERLAND'), 'cashier',   'zoe.m',       'Zoé',     'Michel',   NULL,                          NULL)
ON DUPLICATE KEY UPDATE staff.id = staff.id;

-- Ingredients (quantities are integers in the unit: grams, millilitres, pieces) -----------------------------------------
INSERT INTO ingredients (name, unit) VALUES
 ('Pâton de pâte à pizza', 'piece'), ('Sauce tomate', 'g'), ('Mozzarella fior di latte', 'g'), ('Jambon blanc', 'g'),
 ('Champignons de Paris', 'g'), ('Olives noires', 'g'), ('Anchois', 'g'), ('Câpres', 'g'), ('Origan', 'g'),
 ('Basilic frais', 'g'), ('Huile d''olive', 'ml'), ('Chorizo', 'g'), ('Poivrons', 'g'), ('Oignons rouges', 'g'),
 ('Gorgonzola', 'g'), ('Parmesan', 'g'), ('Fromage de chèvre', 'g'), ('Miel', 'g'), ('Crème fraîche', 'g'),
 ('Lardons', 'g'), ('Pommes de terre', 'g'), ('Reblochon', 'g'), ('Saumon fumé', 'g'), ('Aneth', 'g'),
 ('Poulet rôti', 'g'), ('Sauce barbecue', 'g'), ('Merguez', 'g'), ('Œuf', 'piece'), ('Roquette', 'g'),
 ('Jambon cru', 'g'), ('Tomates cerises', 'g'), ('Thon', 'g'), ('Emmental', 'g'), ('Ail', 'g')
ON DUPLICATE KEY UPDATE name = name;

-- Menu ---------------------------------------------------------------------------------------------------------------
-- VAT (France): food and drinks for immediate consumption 10 %, canned soft drinks and water 5.5 %, alcohol 20 %.
INSERT INTO products (sku, name, kind, price_cents, vat_rate, description) VALUES
 ('PIZZA-MARGHERITA',   'Pizza Margherita',      'pizza',   990, 10.00, 'Tomate, mozzarella fior di latte, basilic frais, huile d''olive'),
 ('PIZZA-REINE',        'Pizza Reine',           'pizza',  1190, 10.00, 'Tomate, mozzarella, jambon blanc, champignons de Paris'),
 ('PIZZA-NAPOLITAINE',  'Pizza Napolitaine',     'pizza',  1150, 10.00, 'Tomate, mozzarella, anchois, câpres, olives noires, origan'),
 ('PIZZA-4FROMAGES',    'Pizza Quatre fromages', 'pizza',  1350, 10.00, 'Tomate, mozzarella, gorgonzola, parmesan, chèvre'),
 ('PIZZA-CHEVRE-MIEL',  'Pizza Chèvre-miel',     'pizza',  1290, 10.00, 'Crème fraîche, mozzarella, chèvre, miel, roquette'),
 ('PIZZA-SAVOYARDE',    'Pizza Savoyarde',       'pizza',  1390, 10.00, 'Crème fraîche, pommes de terre, lardons, reblochon, oignons'),
 ('PIZZA-CALZONE',      'Calzone',               'pizza',  1250, 10.00, 'Chausson : tomate, mozzarella, jambon blanc, œuf, champignons'),
 ('PIZZA-DIAVOLA',      'Pizza Diavola',         'pizza',  1290, 10.00, 'Tomate, mozzarella, chorizo, poivrons, huile pimentée'),
 ('PIZZA-VEGETARIENNE', 'Pizza Végétarienne',    'pizza',  1190, 10.00, 'Tomate, mozzarella, poivrons, champignons, oignons rouges, olives'),
 ('PIZZA-SAUMON',       'Pizza Saumon',          'pizza',  1450, 10.00, 'Crème fraîche, mozzarella, saumon fumé, aneth'),
 ('PIZZA-BBQ-POULET',   'Pizza Barbecue poulet', 'pizza',  1350, 10.00, 'Sauce barbecue, mozzarella, poulet rôti, oignons rouges'),
 ('PIZZA-ORIENTALE',    'Pizza Orientale',       'pizza',  1290, 10.00, 'Tomate, mozzarella, merguez, poivrons, œuf'),
 ('PIZZA-PARMA',        'Pizza Parma',           'pizza',  1450, 10.00, 'Tomate, mozzarella, jambon cru, roquette, parmesan, tomates cerises'),
 ('PIZZA-THON',         'Pizza Thon',            'pizza',  1190, 10.00, 'Tomate, mozzarella, thon, oignons rouges, olives noires'),
 ('DRINK-COLA-33',      'Coca-Cola 33 cl',       'drink',   300,  5.50, 'Canette'),
 ('DRINK-EAU-50',       'Eau minérale 50 cl',    'drink',   200,  5.50, 'Bouteille'),
 ('DRINK-LIMONADE-33',  'Limonade artisanale 33 cl', 'drink', 350, 5.50, 'Bouteille, limonade de Lyon'),
 ('DRINK-BIERE-33',     'Bière Peroni 33 cl',    'drink',   400, 20.00, 'Bouteille, 5,1 % vol.'),
 ('DESSERT-TIRAMISU',   'Tiramisu maison',       'dessert', 550, 10.00, 'Mascarpone, café, biscuits'),
 ('DESSERT-PANNACOTTA', 'Panna cotta coulis fruits rouges', 'dessert', 450, 10.00, 'Crème, vanille, coulis'),
 ('DESSERT-FONDANT',    'Fondant au chocolat',   'dessert', 500, 10.00, 'Chocolat noir 70 %')
ON DUPLICATE KEY UPDATE sku = sku;

-- Recipes: what the pizzaiolo reads. Every pizza: one dough ball stretched to 30 cm.
INSERT INTO recipes (product_id, preparation_steps, bake_minutes, oven_celsius)
SELECT p.id, s.steps, s.bake, s.oven FROM products p JOIN (
 SELECT 'PIZZA-MARGHERITA' AS sku, '1. Étaler le pâton à 30 cm. 2. Napper de sauce tomate au centre en spirale. 3. Répartir la mozzarella égouttée. 4. Cuire. 5. À la sortie : basilic frais et filet d''huile d''olive.' AS steps, 4 AS bake, 400 AS oven
 UNION ALL SELECT 'PIZZA-REINE', '1. Étaler le pâton. 2. Sauce tomate. 3. Mozzarella. 4. Jambon en lanières, champignons émincés. 5. Cuire.', 5, 380
 UNION ALL SELECT 'PIZZA-NAPOLITAINE', '1. Étaler le pâton. 2. Sauce tomate. 3. Mozzarella. 4. Anchois en étoile, câpres, olives. 5. Cuire. 6. Origan à la sortie.', 5, 380
 UNION ALL SELECT 'PIZZA-4FROMAGES', '1. Étaler le pâton. 2. Sauce tomate légère. 3. Mozzarella, gorgonzola en dés, chèvre en rondelles. 4. Cuire. 5. Parmesan râpé à la sortie.', 5, 380
 UNION ALL SELECT 'PIZZA-CHEVRE-MIEL', '1. Étaler le pâton. 2. Base crème fraîche. 3. Mozzarella, rondelles de chèvre. 4. Cuire. 5. Filet de miel et roquette à la sortie.', 5, 370
 UNION ALL SELECT 'PIZZA-SAVOYARDE', '1. Étaler le pâton. 2. Base crème. 3. Pommes de terre cuites en rondelles, lardons, oignons. 4. Reblochon coupé en deux dans l''épaisseur, croûte dessus. 5. Cuire.', 6, 360
 UNION ALL SELECT 'PIZZA-CALZONE', '1. Étaler le pâton. 2. Sur une moitié : sauce, mozzarella, jambon, champignons, œuf battu. 3. Replier, souder le bord. 4. Inciser le dessus. 5. Cuire.', 7, 350
 UNION ALL SELECT 'PIZZA-DIAVOLA', '1. Étaler le pâton. 2. Sauce tomate. 3. Mozzarella. 4. Chorizo en rondelles, poivrons en lanières. 5. Cuire. 6. Huile pimentée à la demande.', 5, 380
 UNION ALL SELECT 'PIZZA-VEGETARIENNE', '1. Étaler le pâton. 2. Sauce tomate. 3. Mozzarella. 4. Poivrons, champignons, oignons rouges, olives. 5. Cuire.', 5, 380
 UNION ALL SELECT 'PIZZA-SAUMON', '1. Étaler le pâton. 2. Base crème. 3. Mozzarella. 4. Cuire. 5. À la sortie : saumon fumé en lamelles et aneth (jamais cuit).', 5, 380
 UNION ALL SELECT 'PIZZA-BBQ-POULET', '1. Étaler le pâton. 2. Base sauce barbecue. 3. Mozzarella. 4. Poulet effiloché, oignons rouges. 5. Cuire.', 5, 380
 UNION ALL SELECT 'PIZZA-ORIENTALE', '1. Étaler le pâton. 2. Sauce tomate. 3. Mozzarella. 4. Merguez en rondelles, poivrons. 5. Œuf au centre à mi-cuisson. 6. Finir la cuisson.', 6, 370
 UNION ALL SELECT 'PIZZA-PARMA', '1. Étaler le pâton. 2. Sauce tomate. 3. Mozzarella, tomates cerises coupées. 4. Cuire. 5. À la sortie : jambon cru, roquette, copeaux de parmesan.', 4, 400
 UNION ALL SELECT 'PIZZA-THON', '1. Étaler le pâton. 2. Sauce tomate. 3. Mozzarella. 4. Thon émietté, oignons rouges, olives. 5. Cuire.', 5, 380
) s ON s.sku = p.sku
ON DUPLICATE KEY UPDATE recipes.product_id = recipes.product_id;

INSERT INTO recipe_ingredients (product_id, ingredient_id, quantity)
SELECT p.id, i.id, r.qty FROM (
           SELECT 'PIZZA-MARGHERITA' AS sku, 'Pâton de pâte à pizza' AS ingredient, 1 AS qty
 UNION ALL SELECT 'PIZZA-MARGHERITA', 'Sauce tomate', 80
 UNION ALL SELECT 'PIZZA-MARGHERITA', 'Mozzarella fior di latte', 125
 UNION ALL SELECT 'PIZZA-MARGHERITA', 'Basilic frais', 3
 UNION ALL SELECT 'PIZZA-MARGHERITA', 'Huile d''olive', 10
 UNION ALL SELECT 'PIZZA-REINE', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-REINE', 'Sauce tomate', 80
 UNION ALL SELECT 'PIZZA-REINE', 'Mozzarella fior di latte', 110
 UNION ALL SELECT 'PIZZA-REINE', 'Jambon blanc', 70
 UNION ALL SELECT 'PIZZA-REINE', 'Champignons de Paris', 60
 UNION ALL SELECT 'PIZZA-NAPOLITAINE', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-NAPOLITAINE', 'Sauce tomate', 80
 UNION ALL SELECT 'PIZZA-NAPOLITAINE', 'Mozzarella fior di latte', 100
 UNION ALL SELECT 'PIZZA-NAPOLITAINE', 'Anchois', 30
 UNION ALL SELECT 'PIZZA-NAPOLITAINE', 'Câpres', 10
 UNION ALL SELECT 'PIZZA-NAPOLITAINE', 'Olives noires', 20
 UNION ALL SELECT 'PIZZA-NAPOLITAINE', 'Origan', 1
 UNION ALL SELECT 'PIZZA-4FROMAGES', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-4FROMAGES', 'Sauce tomate', 60
 UNION ALL SELECT 'PIZZA-4FROMAGES', 'Mozzarella fior di latte', 80
 UNION ALL SELECT 'PIZZA-4FROMAGES', 'Gorgonzola', 50
 UNION ALL SELECT 'PIZZA-4FROMAGES', 'Parmesan', 20
 UNION ALL SELECT 'PIZZA-4FROMAGES', 'Fromage de chèvre', 50
 UNION ALL SELECT 'PIZZA-CHEVRE-MIEL', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-CHEVRE-MIEL', 'Crème fraîche', 60
 UNION ALL SELECT 'PIZZA-CHEVRE-MIEL', 'Mozzarella fior di latte', 80
 UNION ALL SELECT 'PIZZA-CHEVRE-MIEL', 'Fromage de chèvre', 90
 UNION ALL SELECT 'PIZZA-CHEVRE-MIEL', 'Miel', 15
 UNION ALL SELECT 'PIZZA-CHEVRE-MIEL', 'Roquette', 15
 UNION ALL SELECT 'PIZZA-SAVOYARDE', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-SAVOYARDE', 'Crème fraîche', 60
 UNION ALL SELECT 'PIZZA-SAVOYARDE', 'Pommes de terre', 120
 UNION ALL SELECT 'PIZZA-SAVOYARDE', 'Lardons', 60
 UNION ALL SELECT 'PIZZA-SAVOYARDE', 'Reblochon', 110
 UNION ALL SELECT 'PIZZA-SAVOYARDE', 'Oignons rouges', 30
 UNION ALL SELECT 'PIZZA-CALZONE', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-CALZONE', 'Sauce tomate', 70
 UNION ALL SELECT 'PIZZA-CALZONE', 'Mozzarella fior di latte', 110
 UNION ALL SELECT 'PIZZA-CALZONE', 'Jambon blanc', 70
 UNION ALL SELECT 'PIZZA-CALZONE', 'Champignons de Paris', 50
 UNION ALL SELECT 'PIZZA-CALZONE', 'Œuf', 1
 UNION ALL SELECT 'PIZZA-DIAVOLA', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-DIAVOLA', 'Sauce tomate', 80
 UNION ALL SELECT 'PIZZA-DIAVOLA', 'Mozzarella fior di latte', 110
 UNION ALL SELECT 'PIZZA-DIAVOLA', 'Chorizo', 60
 UNION ALL SELECT 'PIZZA-DIAVOLA', 'Poivrons', 40
 UNION ALL SELECT 'PIZZA-VEGETARIENNE', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-VEGETARIENNE', 'Sauce tomate', 80
 UNION ALL SELECT 'PIZZA-VEGETARIENNE', 'Mozzarella fior di latte', 110
 UNION ALL SELECT 'PIZZA-VEGETARIENNE', 'Poivrons', 40
 UNION ALL SELECT 'PIZZA-VEGETARIENNE', 'Champignons de Paris', 40
 UNION ALL SELECT 'PIZZA-VEGETARIENNE', 'Oignons rouges', 30
 UNION ALL SELECT 'PIZZA-VEGETARIENNE', 'Olives noires', 20
 UNION ALL SELECT 'PIZZA-SAUMON', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-SAUMON', 'Crème fraîche', 60
 UNION ALL SELECT 'PIZZA-SAUMON', 'Mozzarella fior di latte', 90
 UNION ALL SELECT 'PIZZA-SAUMON', 'Saumon fumé', 70
 UNION ALL SELECT 'PIZZA-SAUMON', 'Aneth', 2
 UNION ALL SELECT 'PIZZA-BBQ-POULET', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-BBQ-POULET', 'Sauce barbecue', 70
 UNION ALL SELECT 'PIZZA-BBQ-POULET', 'Mozzarella fior di latte', 110
 UNION ALL SELECT 'PIZZA-BBQ-POULET', 'Poulet rôti', 90
 UNION ALL SELECT 'PIZZA-BBQ-POULET', 'Oignons rouges', 30
 UNION ALL SELECT 'PIZZA-ORIENTALE', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-ORIENTALE', 'Sauce tomate', 80
 UNION ALL SELECT 'PIZZA-ORIENTALE', 'Mozzarella fior di latte', 100
 UNION ALL SELECT 'PIZZA-ORIENTALE', 'Merguez', 80
 UNION ALL SELECT 'PIZZA-ORIENTALE', 'Poivrons', 40
 UNION ALL SELECT 'PIZZA-ORIENTALE', 'Œuf', 1
 UNION ALL SELECT 'PIZZA-PARMA', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-PARMA', 'Sauce tomate', 80
 UNION ALL SELECT 'PIZZA-PARMA', 'Mozzarella fior di latte', 100
 UNION ALL SELECT 'PIZZA-PARMA', 'Jambon cru', 50
 UNION ALL SELECT 'PIZZA-PARMA', 'Roquette', 20
 UNION ALL SELECT 'PIZZA-PARMA', 'Parmesan', 15
 UNION ALL SELECT 'PIZZA-PARMA', 'Tomates cerises', 50
 UNION ALL SELECT 'PIZZA-THON', 'Pâton de pâte à pizza', 1
 UNION ALL SELECT 'PIZZA-THON', 'Sauce tomate', 80
 UNION ALL SELECT 'PIZZA-THON', 'Mozzarella fior di latte', 100
 UNION ALL SELECT 'PIZZA-THON', 'Thon', 80
 UNION ALL SELECT 'PIZZA-THON', 'Oignons rouges', 30
 UNION ALL SELECT 'PIZZA-THON', 'Olives noires', 20
) r
JOIN products p ON p.sku = r.sku
JOIN ingredients i ON i.name = r.ingredient
ON DUPLICATE KEY UPDATE recipe_ingredients.quantity = recipe_ingredients.quantity;

-- Stock: a day's supply everywhere (≈ 60 pizzas), with two realistic gaps: Gerland has run out of reblochon (no
-- Savoyarde there today) and Vaise holds smoked salmon for two pizzas only.
INSERT INTO stock (restaurant_id, ingredient_id, quantity, alert_threshold)
SELECT r.id, i.id,
       CASE
         WHEN r.code = 'GERLAND' AND i.name = 'Reblochon' THEN 0
         WHEN r.code = 'VAISE' AND i.name = 'Saumon fumé' THEN 140
         WHEN i.unit = 'piece' AND i.name = 'Œuf' THEN 30
         WHEN i.unit = 'piece' THEN 60
         WHEN i.unit = 'ml' THEN 2000
         WHEN i.name IN ('Origan', 'Aneth', 'Basilic frais', 'Ail') THEN 300
         ELSE 5000
       END,
       CASE WHEN i.unit = 'piece' THEN 10 WHEN i.unit = 'ml' THEN 300 ELSE 800 END
FROM restaurants r CROSS JOIN ingredients i
WHERE r.active OR NOT r.active  -- (a WHERE keeps the parser from reading ON DUPLICATE as a join condition)
ON DUPLICATE KEY UPDATE stock.quantity = stock.quantity;
