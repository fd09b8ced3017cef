-- take_order_stock: the last step of recordOrder, run by the server in one call so that the restaurant's stock rows,
-- which every concurrent order of that restaurant needs, are locked for as short a time as possible: no client round
-- trip happens between locking them and the commit (InnoDB releases the row locks when the commit is written, before
-- it waits for the log flush).
--
-- Call it inside the order's transaction, after the order's lines are written (it reads them):
--   * per ingredient of the lines' recipes (quantity × recipe quantity, summed), in ingredient-id order, so that
--     concurrent orders cannot deadlock: lock the restaurant's stock row (an ingredient never stocked gets a row at
--     0), take min(stock, needed), and write the movement (delta = -taken, shortage = needed - taken);
--   * nothing short: COMMIT the caller's transaction, and return no result set;
--   * something short: return one row per short ingredient, in ingredient-id order — name, unit, needed, available,
--     missing — and do NOT commit: the caller writes its `stock.shortage` outbox event, then commits.
-- On any error it stops where it is, uncommitted: the caller rolls the whole transaction back.
-- Called outside a transaction (autocommit), each statement would commit on its own: never do that.
CREATE PROCEDURE take_order_stock(IN p_restaurant_id BIGINT, IN p_order_id BIGINT)
    MODIFIES SQL DATA
    SQL SECURITY INVOKER
BEGIN
    DECLARE v_needs LONGTEXT;
    DECLARE v_short INT;

    -- What the order's recipes need, per ingredient (a plain read: the recipes are not locked).
    SELECT JSON_ARRAYAGG(JSON_ARRAY(n.ingredient_id, n.needed)) INTO v_needs
    FROM (SELECT ri.ingredient_id, SUM(CAST(ol.quantity AS SIGNED) * ri.quantity) AS needed
          FROM order_lines ol
          JOIN recipe_ingredients ri ON ri.product_id = ol.product_id
          WHERE ol.order_id = p_order_id
          GROUP BY ri.ingredient_id) n;

    IF v_needs IS NOT NULL THEN
        -- Lock the stock rows in ingredient-id order; an ingredient never stocked gets its row at 0 (the duplicate
        -- key path changes nothing on an existing row, it only locks it).
        INSERT INTO stock (restaurant_id, ingredient_id, quantity)
            SELECT p_restaurant_id, n.ingredient_id, 0
            FROM JSON_TABLE(v_needs, '$[*]' COLUMNS (ingredient_id BIGINT PATH '$[0]')) n
            ORDER BY n.ingredient_id
            ON DUPLICATE KEY UPDATE quantity = quantity;
        -- The movements, from the stock as locked: delta = -min(stock, needed), shortage = what was missing.
        INSERT INTO stock_movements (restaurant_id, ingredient_id, order_id, reason, delta, shortage)
            SELECT p_restaurant_id, n.ingredient_id, p_order_id, 'order', -LEAST(n.needed, s.quantity),
                   n.needed - LEAST(n.needed, s.quantity)
            FROM JSON_TABLE(v_needs, '$[*]' COLUMNS (ingredient_id BIGINT PATH '$[0]', needed BIGINT PATH '$[1]')) n
            JOIN stock s ON s.restaurant_id = p_restaurant_id AND s.ingredient_id = n.ingredient_id
            ORDER BY n.ingredient_id;
        -- Then take it (never below zero).
        UPDATE stock s
            JOIN JSON_TABLE(v_needs, '$[*]' COLUMNS (ingredient_id BIGINT PATH '$[0]', needed BIGINT PATH '$[1]')) n
              ON s.ingredient_id = n.ingredient_id
            SET s.quantity = s.quantity - LEAST(n.needed, s.quantity)
            WHERE s.restaurant_id = p_restaurant_id AND s.quantity > 0;
    END IF;

    SELECT COUNT(*) INTO v_short FROM stock_movements WHERE order_id = p_order_id AND shortage > 0;
    IF v_short = 0 THEN
        COMMIT;
    ELSE
        SELECT i.name, i.unit, CAST(m.shortage - m.delta AS SIGNED), CAST(-m.delta AS SIGNED),
               CAST(m.shortage AS SIGNED)
        FROM stock_movements m
        JOIN ingredients i ON i.id = m.ingredient_id
        WHERE m.order_id = p_order_id AND m.shortage > 0
        ORDER BY m.ingredient_id;
    END IF;
END;
