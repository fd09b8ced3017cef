<?php

declare(strict_types=1);

use OCPizza\Tests\Orders;
use OCPizza\Tests\StoreTestCase;
use OCPizza\ValidationException;

/**
 * Issue 10: Store::recordOrder never answers created = false for an order that is not the same. A shop order id
 * already recorded with another reference, customer, order type or total is a ValidationException on
 * `shop_order_id` that says what differs, and nothing is written.
 */
final class StoreOrderMismatchTest extends StoreTestCase
{
    /** @return array<string, array{0: callable, 1: string}> */
    public static function differences(): array
    {
        return [
            'reference' => [static function (array $o): array { $o['reference'] = 'XKBKNABJK'; return $o; }, 'reference'],
            'customer' => [static function (array $o): array { $o['customer']['shop_customer_id'] += 1; return $o; }, 'customer.shop_customer_id'],
            'order type' => [static function (array $o): array {
                $o['fulfilment'] = 'takeaway';
                $o['payment_method'] = 'at_restaurant';
                unset($o['delivery_address']);

                return $o;
            }, 'fulfilment'],
            'total' => [static function (array $o): array {
                $o['lines'][0]['quantity'] += 1;
                $o['total_cents'] += $o['lines'][0]['unit_price_cents'];

                return $o;
            }, 'total_cents'],
        ];
    }

    /** @dataProvider differences */
    public function testADifferentOrderUnderARecordedShopOrderIdIsRefused(callable $change, string $named): void
    {
        $id = Orders::newId();
        $first = self::$store->recordOrder(Orders::delivery($id));
        $this->assertTrue($first['created']);
        $before = Orders::snapshot(self::$pdo);
        try {
            self::$store->recordOrder($change(Orders::delivery($id)));
            $this->fail('a different order under shop order id ' . $id . ' must be refused');
        } catch (ValidationException $e) {
            $this->assertSame('shop_order_id', $e->field);
            $this->assertStringStartsWith('shop_order_id: ' . $id . ' is already recorded for a different order', $e->getMessage());
            $this->assertStringContainsString($named, $e->getMessage());
        }
        $this->assertSame($before, Orders::snapshot(self::$pdo), 'nothing written');
        $this->assertSame(['order_id' => $first['order_id'], 'created' => false], self::$store->recordOrder(Orders::delivery($id)), 'the same order is still idempotent');
    }
}
