<?php

declare(strict_types=1);

use OCPizza\DbException;
use OCPizza\Tests\Orders;
use OCPizza\Tests\StoreTestCase;

/** Store::recordOrder on the real MariaDB: rows, idempotency, refusals, rollback, stock, outbox. */
final class StoreOrderTest extends StoreTestCase
{
    public function testRecordsEveryRowAndOneEventThenReplaysWithoutWriting(): void
    {
        $id = Orders::newId();
        $first = self::$store->recordOrder(Orders::delivery($id));
        $this->assertSame(['order_id', 'created'], array_keys($first));
        $this->assertIsInt($first['order_id']);
        $this->assertTrue($first['created']);

        $order = self::rows('SELECT id, status, total_cents, fulfilment, payment_method FROM orders WHERE shop_order_id = ?', [$id]);
        $this->assertSame([['id' => $first['order_id'], 'status' => 'received', 'total_cents' => 1640,
            'fulfilment' => 'delivery', 'payment_method' => 'card_online']], $order);
        $this->assertSame(3, (int) self::scalar('SELECT COUNT(*) FROM order_lines WHERE order_id = ?', [$first['order_id']]));
        $this->assertSame(1, (int) self::scalar('SELECT COUNT(*) FROM order_status_history WHERE order_id = ?', [$first['order_id']]));
        $this->assertSame(1, (int) self::scalar('SELECT COUNT(*) FROM customers WHERE email = ?', ["client{$id}@example.fr"]));
        $this->assertSame(['order.created'], self::eventTypes($id));
        $payload = json_decode((string) self::scalar('SELECT payload FROM outbox WHERE shop_order_id = ?', [$id]), true);
        $this->assertSame('order.created', $payload['type']);
        $this->assertSame($id, $payload['data']['shop_order_id']);
        $this->assertSame('Léa', $payload['data']['customer']['first_name']);

        $before = Orders::snapshot(self::$pdo);
        $again = self::$store->recordOrder(Orders::delivery($id));
        $this->assertSame(['order_id' => $first['order_id'], 'created' => false], $again);
        $this->assertSame($before, Orders::snapshot(self::$pdo), 'a replay writes nothing');
    }

    public function testStockMovementsFollowTheRecipe(): void
    {
        $id = Orders::newId();
        $recipe = self::rows("SELECT ri.ingredient_id, ri.quantity FROM recipe_ingredients ri JOIN products p ON p.id = ri.product_id
            WHERE p.sku = 'PIZZA-MARGHERITA' ORDER BY ri.ingredient_id");
        $this->assertNotEmpty($recipe);
        $stockBefore = self::rows("SELECT s.ingredient_id, s.quantity FROM stock s JOIN restaurants r ON r.id = s.restaurant_id
            WHERE r.code = 'BELLECOUR' ORDER BY s.ingredient_id");
        $o = Orders::delivery($id);
        $o['lines'][0]['quantity'] = 2;
        $o['total_cents'] += 990;
        $r = self::$store->recordOrder($o);

        $moves = self::rows('SELECT ingredient_id, delta, shortage FROM stock_movements WHERE order_id = ? ORDER BY ingredient_id', [$r['order_id']]);
        $this->assertSame(array_map(static fn ($i) => ['ingredient_id' => $i['ingredient_id'], 'delta' => -2 * $i['quantity'], 'shortage' => 0], $recipe), $moves);
        $stockAfter = array_column(self::rows("SELECT s.ingredient_id, s.quantity FROM stock s JOIN restaurants r ON r.id = s.restaurant_id
            WHERE r.code = 'BELLECOUR' ORDER BY s.ingredient_id"), 'quantity', 'ingredient_id');
        foreach ($stockBefore as $s) {
            $used = 0;
            foreach ($recipe as $i) {
                $used += $i['ingredient_id'] === $s['ingredient_id'] ? 2 * $i['quantity'] : 0;
            }
            $this->assertSame($s['quantity'] - $used, $stockAfter[$s['ingredient_id']]);
        }
    }

    public function testAShortageIsRecordedAndRaisesAnEventWithoutRefusingTheOrder(): void
    {
        // Gerland has no reblochon (seed); a Savoyarde ordered there anyway (e.g. paid before the menu refreshed).
        $id = Orders::newId();
        $o = Orders::delivery($id, 'GERLAND');
        $o['delivery_address']['postcode'] = '69007';
        $o['lines'][0] = ['sku' => 'PIZZA-SAVOYARDE', 'name' => 'Savoyarde', 'quantity' => 1, 'unit_price_cents' => 1390, 'vat_rate' => '10.00'];
        $o['total_cents'] = 1390 + 300 + 350;
        $r = self::$store->recordOrder($o);
        $this->assertTrue($r['created']);
        $this->assertSame(['order.created', 'stock.shortage'], self::eventTypes($id));
        $reblochon = self::rows("SELECT m.delta, m.shortage, s.quantity FROM stock_movements m
            JOIN ingredients i ON i.id = m.ingredient_id
            JOIN stock s ON s.restaurant_id = m.restaurant_id AND s.ingredient_id = m.ingredient_id
            WHERE m.order_id = ? AND i.name = 'Reblochon'", [$r['order_id']]);
        $this->assertSame([['delta' => 0, 'shortage' => 110, 'quantity' => 0]], $reblochon, 'stock never below zero');
        $event = json_decode((string) self::scalar("SELECT payload FROM outbox WHERE shop_order_id = ? AND event_type = 'stock.shortage'", [$id]), true);
        $this->assertSame('GERLAND', $event['data']['restaurant']);
        $this->assertContains('Reblochon', array_column($event['data']['ingredients'], 'name'));
    }

    public function testAnUnknownSkuIsRefusedByItsPath(): void
    {
        $o = Orders::delivery(Orders::newId());
        $o['lines'][1]['sku'] = 'DRINK-UNKNOWN-33';
        $this->assertRefused('lines[1].sku', fn () => self::$store->recordOrder($o));
    }

    public function testLinesThatDoNotAddUpToTheTotalAreRefused(): void
    {
        $o = Orders::delivery(Orders::newId());
        $o['total_cents'] = 1641;
        $this->assertRefused('total_cents', fn () => self::$store->recordOrder($o));
    }

    /** @dataProvider badOrders */
    public function testRefusalsNameTheField(callable $spoil, string $field): void
    {
        $o = Orders::delivery(Orders::newId());
        $spoil($o);
        $this->assertRefused($field, fn () => self::$store->recordOrder($o));
    }

    public function badOrders(): array
    {
        return [
            'missing email' => [function (&$o) { unset($o['customer']['email']); }, 'customer.email'],
            'bad fulfilment' => [function (&$o) { $o['fulfilment'] = 'drone'; }, 'fulfilment'],
            'delivery without address' => [function (&$o) { unset($o['delivery_address']); }, 'delivery_address'],
            'zero quantity' => [function (&$o) { $o['lines'][0]['quantity'] = 0; }, 'lines[0].quantity'],
            'non-UTF-8 name' => [function (&$o) { $o['lines'][2]['name'] = "Livr\xe9"; }, 'lines[2].name'],
            'non-UTF-8 key' => [function (&$o) { $o['customer']["\xff"] = 'x'; }, "customer.\u{FFFD}"],
            'object value' => [function (&$o) { $o['reference'] = new stdClass(); }, 'reference'],
            'infinite float' => [function (&$o) { $o['lines'][0]['unit_price_cents'] = INF; }, 'lines[0].unit_price_cents'],
            'unknown restaurant' => [function (&$o) { $o['restaurant'] = 'LYON-99'; }, 'restaurant'],
        ];
    }

    public function testAFailureHalfWayRollsEverythingBack(): void
    {
        $id = Orders::newId();
        // Fault injection on the real server: the stock movements (written after customer, address, order, lines,
        // history and stock) fail for this order only.
        self::$pdo->exec("CREATE TRIGGER t_php_fail BEFORE INSERT ON stock_movements FOR EACH ROW
            IF (SELECT shop_order_id FROM orders WHERE id = NEW.order_id) = $id THEN
              SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF");
        try {
            $before = Orders::snapshot(self::$pdo);
            try {
                self::$store->recordOrder(Orders::delivery($id));
                $this->fail('no exception');
            } catch (DbException $e) {
                $this->assertStringContainsString('injected failure', $e->getMessage());
            }
            $this->assertSame($before, Orders::snapshot(self::$pdo), 'nothing of the call is left');
        } finally {
            self::$pdo->exec('DROP TRIGGER IF EXISTS t_php_fail');
        }
        $this->assertTrue(self::$store->recordOrder(Orders::delivery($id))['created'], 'the same call succeeds once the fault is gone');
    }

    public function testTakeawayOrdersNeedNoAddressAndIntegerStringsAreAccepted(): void
    {
        $id = Orders::newId();
        $o = Orders::delivery($id);
        $o['fulfilment'] = 'takeaway';
        $o['payment_method'] = 'at_restaurant';
        unset($o['delivery_address'], $o['lines'][2]);
        $o['total_cents'] = (string) (990 + 300);
        $this->assertTrue(self::$store->recordOrder($o)['created']);
        $this->assertSame('takeaway', self::scalar('SELECT fulfilment FROM orders WHERE shop_order_id = ?', [$id]));
    }
}
