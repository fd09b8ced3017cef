<?php
/**
 * The same writes as OCPizza\Store::recordOrder, done in plain PHP with PDO: the baseline of the recordOrder
 * benchmark. Same statements in the same order (existence check, then one transaction: restaurant, products,
 * customer upsert, address upsert, order, lines, first history row, recipe, stock FOR UPDATE, stock update, stock
 * movements, order.created outbox event), the same idempotency (duplicate key → the existing order) and the same
 * deadlock retry. Input checks are reduced to what the SQL needs: the extension validates far more.
 */

declare(strict_types=1);

function pdo_connect(string $url): PDO
{
    $u = parse_url($url);
    $dsn = sprintf('mysql:host=%s;port=%d;dbname=%s;charset=utf8mb4', $u['host'], $u['port'] ?? 3306, ltrim($u['path'], '/'));
    $pdo = new PDO($dsn, rawurldecode($u['user'] ?? 'root'), rawurldecode($u['pass'] ?? ''), [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    $pdo->exec("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'");

    return $pdo;
}

function pdo_in(int $n): string
{
    return implode(', ', array_fill(0, $n, '?'));
}

/** @return array{order_id: int, created: bool} */
function pdo_record_order(PDO $pdo, array $o): array
{
    $sum = 0;
    foreach ($o['lines'] as $l) {
        $sum += $l['quantity'] * $l['unit_price_cents'];
    }
    if ($sum !== $o['total_cents']) {
        throw new InvalidArgumentException('total_cents: does not match the lines');
    }
    for ($attempt = 0; ; $attempt++) {
        $st = $pdo->prepare('SELECT id, shop_order_id FROM orders WHERE shop_order_id = ? OR reference = ?');
        $st->execute([$o['shop_order_id'], $o['reference']]);
        foreach ($st->fetchAll(PDO::FETCH_NUM) as [$id, $shop]) {
            if ((int) $shop === $o['shop_order_id']) {
                return ['order_id' => (int) $id, 'created' => false];
            }
            throw new InvalidArgumentException('reference: already used');
        }
        try {
            $pdo->beginTransaction();
            $r = pdo_insert_order($pdo, $o);
            $pdo->commit();

            return $r;
        } catch (PDOException $e) {
            if ($pdo->inTransaction()) {
                $pdo->rollBack();
            }
            $errno = $e->errorInfo[1] ?? 0;
            if ($errno === 1062) {
                continue; // recorded concurrently: the next loop finds it
            }
            if (($errno === 1213 || $errno === 1205) && $attempt < 5) {
                continue;
            }
            throw $e;
        }
    }
}

function pdo_insert_order(PDO $pdo, array $o): array
{
    $at = (new DateTimeImmutable('now', new DateTimeZone('UTC')))->format('Y-m-d H:i:s.u');
    $st = $pdo->prepare('SELECT id, active FROM restaurants WHERE code = ?');
    $st->execute([$o['restaurant']]);
    $restaurant = $st->fetch(PDO::FETCH_NUM);
    if ($restaurant === false || !$restaurant[1]) {
        throw new InvalidArgumentException('restaurant: unknown or closed');
    }
    $restaurantId = (int) $restaurant[0];

    $skus = array_values(array_filter(array_map(static fn ($l) => $l['sku'] ?? null, $o['lines'])));
    $st = $pdo->prepare('SELECT sku, id, active FROM products WHERE sku IN (' . pdo_in(count($skus)) . ')');
    $st->execute($skus);
    $known = [];
    foreach ($st->fetchAll(PDO::FETCH_NUM) as [$sku, $id, $active]) {
        $known[$sku] = [(int) $id, (bool) $active];
    }
    $productIds = [];
    foreach ($o['lines'] as $i => $l) {
        $sku = $l['sku'] ?? null;
        if ($sku !== null && !($known[$sku][1] ?? false)) {
            throw new InvalidArgumentException("lines[$i].sku: unknown product");
        }
        $productIds[$i] = $sku === null ? null : $known[$sku][0];
    }

    $c = $o['customer'];
    $pdo->prepare('INSERT INTO customers (shop_customer_id, email, first_name, last_name, phone) VALUES (?, ?, ?, ?, ?)
        ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), email = VALUES(email), first_name = VALUES(first_name),
        last_name = VALUES(last_name), phone = VALUES(phone)')
        ->execute([$c['shop_customer_id'], $c['email'], $c['first_name'], $c['last_name'], $c['phone'] ?? null]);
    $customerId = (int) $pdo->lastInsertId();

    $addressId = null;
    if ($o['fulfilment'] === 'delivery') {
        $a = $o['delivery_address'];
        $pdo->prepare('INSERT INTO customer_addresses (customer_id, line1, line2, postcode, city, country) VALUES (?, ?, ?, ?, ?, ?)
            ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)')
            ->execute([$customerId, $a['line1'], $a['line2'] ?? '', $a['postcode'], $a['city'], $a['country']]);
        $addressId = (int) $pdo->lastInsertId();
    }

    $placedAt = (new DateTimeImmutable($o['placed_at']))->setTimezone(new DateTimeZone('UTC'))->format('Y-m-d H:i:s.u');
    $pdo->prepare('INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, delivery_address_id,
        payment_method, currency, total_cents, status, placed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        ->execute([$o['shop_order_id'], $o['reference'], $restaurantId, $customerId, $o['fulfilment'], $addressId,
            $o['payment_method'], $o['currency'], $o['total_cents'], 'received', $placedAt]);
    $orderId = (int) $pdo->lastInsertId();

    $values = [];
    foreach ($o['lines'] as $i => $l) {
        array_push($values, $orderId, $i + 1, $l['kind'] ?? 'product', $productIds[$i], $l['name'], $l['quantity'],
            $l['unit_price_cents'], $l['vat_rate']);
    }
    $pdo->prepare('INSERT INTO order_lines (order_id, line_no, kind, product_id, name, quantity, unit_price_cents, vat_rate) VALUES '
        . implode(', ', array_fill(0, count($o['lines']), '(?, ?, ?, ?, ?, ?, ?, ?)')))->execute($values);

    $pdo->prepare('INSERT INTO order_status_history (order_id, seq, from_status, to_status, note, changed_at) VALUES (?, 1, NULL, ?, NULL, ?)')
        ->execute([$orderId, 'received', $at]);

    // order.created before the stock, as the extension does: the stock rows stay locked until the commit.
    $timestamp = substr($at, 0, 10) . 'T' . substr($at, 11) . 'Z';
    $created = ['shop_order_id' => $o['shop_order_id'], 'reference' => $o['reference'], 'restaurant' => $o['restaurant'],
        'placed_at' => $placedAt, 'fulfilment' => $o['fulfilment'], 'payment_method' => $o['payment_method'],
        'currency' => $o['currency'], 'total_cents' => $o['total_cents'], 'status' => 'received',
        'customer' => $o['customer'], 'delivery_address' => $o['delivery_address'] ?? null, 'lines' => $o['lines']];
    $outbox = $pdo->prepare('INSERT INTO outbox (event_id, event_type, shop_order_id, payload, created_at) VALUES (?, ?, ?, ?, ?)');
    $outbox->execute(['evt_' . bin2hex(random_bytes(16)), 'order.created', $o['shop_order_id'],
        json_encode(['type' => 'order.created', 'timestamp' => $timestamp, 'data' => $created], JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR), $at]);

    // Stock: what each pizza's recipe takes, never below zero.
    $perProduct = [];
    foreach ($o['lines'] as $i => $l) {
        if ($productIds[$i] !== null) {
            $perProduct[$productIds[$i]] = ($perProduct[$productIds[$i]] ?? 0) + $l['quantity'];
        }
    }
    $short = [];
    if ($perProduct) {
        $st = $pdo->prepare('SELECT ri.product_id, ri.ingredient_id, ri.quantity, i.name, i.unit FROM recipe_ingredients ri
            JOIN ingredients i ON i.id = ri.ingredient_id WHERE ri.product_id IN (' . pdo_in(count($perProduct)) . ')');
        $st->execute(array_keys($perProduct));
        $needs = [];
        foreach ($st->fetchAll(PDO::FETCH_NUM) as [$product, $ingredient, $qty, $name, $unit]) {
            $needs[$ingredient] ??= ['name' => $name, 'unit' => $unit, 'needed' => 0];
            $needs[$ingredient]['needed'] += $qty * $perProduct[$product];
        }
        ksort($needs);
        if ($needs) {
            $st = $pdo->prepare('SELECT ingredient_id, quantity FROM stock WHERE restaurant_id = ? AND ingredient_id IN ('
                . pdo_in(count($needs)) . ') ORDER BY ingredient_id FOR UPDATE');
            $st->execute(array_merge([$restaurantId], array_keys($needs)));
            $held = $st->fetchAll(PDO::FETCH_KEY_PAIR);
            $missing = array_diff(array_keys($needs), array_keys($held));
            if ($missing) {
                $v = [];
                foreach ($missing as $id) {
                    array_push($v, $restaurantId, $id, 0);
                }
                $pdo->prepare('INSERT INTO stock (restaurant_id, ingredient_id, quantity) VALUES '
                    . implode(', ', array_fill(0, count($missing), '(?, ?, ?)')) . ' ON DUPLICATE KEY UPDATE quantity = quantity')->execute($v);
            }
            $taken = [];
            foreach ($needs as $id => $need) {
                $available = (int) ($held[$id] ?? 0);
                $take = min($need['needed'], $available);
                $taken[$id] = [$take, $need['needed'] - $take];
                if ($need['needed'] > $take) {
                    $short[] = ['name' => $need['name'], 'unit' => $need['unit'], 'needed' => $need['needed'],
                        'available' => $available, 'missing' => $need['needed'] - $take];
                }
            }
            $positive = array_filter($taken, static fn ($t) => $t[0] > 0);
            if ($positive) {
                $sql = 'UPDATE stock SET quantity = quantity - CASE ingredient_id';
                $v = [];
                foreach ($positive as $id => [$t]) {
                    $sql .= ' WHEN ? THEN ?';
                    array_push($v, $id, $t);
                }
                $sql .= ' ELSE 0 END WHERE restaurant_id = ? AND ingredient_id IN (' . pdo_in(count($positive)) . ')';
                $pdo->prepare($sql)->execute(array_merge($v, [$restaurantId], array_keys($positive)));
            }
            $v = [];
            foreach ($taken as $id => [$t, $m]) {
                array_push($v, $restaurantId, $id, $orderId, 'order', -$t, $m);
            }
            $pdo->prepare('INSERT INTO stock_movements (restaurant_id, ingredient_id, order_id, reason, delta, shortage) VALUES '
                . implode(', ', array_fill(0, count($taken), '(?, ?, ?, ?, ?, ?)')))->execute($v);
        }
    }

    if ($short) {
        $outbox->execute(['evt_' . bin2hex(random_bytes(16)), 'stock.shortage', $o['shop_order_id'],
            json_encode(['type' => 'stock.shortage', 'timestamp' => $timestamp, 'data' => ['restaurant' => $o['restaurant'],
                'shop_order_id' => $o['shop_order_id'], 'reference' => $o['reference'], 'ingredients' => $short]],
                JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR), $at]);
    }

    return ['order_id' => $orderId, 'created' => true];
}
