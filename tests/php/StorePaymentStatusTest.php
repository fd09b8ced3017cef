<?php

declare(strict_types=1);

use OCPizza\SogeCommerce;
use OCPizza\Tests\Orders;
use OCPizza\Tests\StoreTestCase;
use OCPizza\ValidationException;

/** Store::recordPayment and Store::setStatus. */
final class StorePaymentStatusTest extends StoreTestCase
{
    private static function newOrder(): int
    {
        $id = Orders::newId();
        self::$store->recordOrder(Orders::delivery($id));

        return $id;
    }

    public function testAPaymentIsRecordedOnceWithItsEvent(): void
    {
        $id = self::newOrder();
        $first = self::$store->recordPayment(Orders::payment($id));
        $this->assertSame(['payment_id', 'created'], array_keys($first));
        $this->assertTrue($first['created']);
        $this->assertSame(['order.created', 'order.paid'], self::eventTypes($id));
        $this->assertSame('paid', self::scalar('SELECT status FROM payments WHERE id = ?', [$first['payment_id']]));

        $before = Orders::snapshot(self::$pdo);
        $this->assertSame(['payment_id' => $first['payment_id'], 'created' => false], self::$store->recordPayment(Orders::payment($id)));
        $this->assertSame($before, Orders::snapshot(self::$pdo), 'the same notification again writes nothing');
    }

    public function testAFailedPaymentRaisesPaymentFailed(): void
    {
        $id = self::newOrder();
        $this->assertTrue(self::$store->recordPayment(Orders::payment($id, "sc:fail:$id", 'failed'))['created']);
        $this->assertSame(['order.created', 'order.payment_failed'], self::eventTypes($id));
    }

    public function testAnAmountOrCurrencyThatDiffersFromTheOrderIsRefused(): void
    {
        $id = self::newOrder();
        $p = Orders::payment($id);
        $p['amount_cents'] = 1639;
        $this->assertRefused('amount_cents', fn () => self::$store->recordPayment($p));
        $p = Orders::payment($id);
        $p['currency'] = 'USD';
        $this->assertRefused('currency', fn () => self::$store->recordPayment($p));
        $this->assertRefused('shop_order_id', fn () => self::$store->recordPayment(Orders::payment(Orders::newId())));
    }

    public function testParseNotificationOutputFeedsRecordPayment(): void
    {
        $id = self::newOrder();
        $ipn = ['vads_site_id' => '12345678', 'vads_ctx_mode' => 'TEST', 'vads_trans_id' => sprintf('%06d', $id % 1000000),
            'vads_trans_date' => '20261129183005', 'vads_amount' => '1640', 'vads_currency' => '978',
            'vads_trans_status' => 'AUTHORISED', 'vads_order_id' => 'PHPT' . $id, 'vads_operation_type' => 'DEBIT',
            'vads_trans_uuid' => md5((string) $id)];
        $ipn['signature'] = SogeCommerce::sign($ipn, 'k');
        $n = SogeCommerce::parseNotification($ipn, 'k', 'TEST');
        $r = self::$store->recordPayment($n + ['shop_order_id' => $id]);
        $this->assertTrue($r['created']);
        $this->assertSame($n['idempotency_key'], self::scalar('SELECT transaction_key FROM payments WHERE id = ?', [$r['payment_id']]));
        $this->assertFalse(self::$store->recordPayment($n + ['shop_order_id' => $id])['created'], 'the re-sent IPN');
    }

    public function testSetStatusMovesOnceAndRefusesForbiddenTransitions(): void
    {
        $id = self::newOrder();
        $this->assertTrue(self::$store->setStatus($id, 'accepted', 'par Olivier'));
        $this->assertFalse(self::$store->setStatus($id, 'accepted'), 'already accepted');
        $this->assertSame('accepted', self::scalar('SELECT status FROM orders WHERE shop_order_id = ?', [$id]));
        $this->assertSame(['order.created', 'order.status_changed'], self::eventTypes($id));
        $this->assertSame(2, (int) self::scalar('SELECT COUNT(*) FROM order_status_history h JOIN orders o ON o.id = h.order_id WHERE o.shop_order_id = ?', [$id]));
        $event = json_decode((string) self::scalar("SELECT payload FROM outbox WHERE shop_order_id = ? AND event_type = 'order.status_changed'", [$id]), true);
        $this->assertSame(['received', 'accepted', 'par Olivier'], [$event['data']['from'], $event['data']['to'], $event['data']['note']]);

        $this->assertRefused('status', fn () => self::$store->setStatus($id, 'delivered'));
        $this->assertRefused('status', fn () => self::$store->setStatus($id, 'teleported'));
        $this->assertRefused('shop_order_id', fn () => self::$store->setStatus(Orders::newId(), 'accepted'));
    }

    public function testNoteDefaultsToNull(): void
    {
        $id = self::newOrder();
        $this->assertTrue(self::$store->setStatus($id, 'cancelled'));
        $event = json_decode((string) self::scalar("SELECT payload FROM outbox WHERE shop_order_id = ? AND event_type = 'order.status_changed'", [$id]), true);
        $this->assertNull($event['data']['note']);
    }

    public function testAvailableProductsFollowTheStock(): void
    {
        $gerland = self::$store->availableProducts('GERLAND');
        $this->assertContains('PIZZA-MARGHERITA', $gerland);
        $this->assertContains('DRINK-COLA-33', $gerland);
        $this->assertNotContains('PIZZA-SAVOYARDE', $gerland, 'no reblochon at Gerland');
        $this->assertContains('PIZZA-SAVOYARDE', self::$store->availableProducts('BELLECOUR'));
        $this->assertSame(array_values($gerland), $gerland, 'a list');
        try {
            self::$store->availableProducts('NOWHERE');
            $this->fail('no exception');
        } catch (ValidationException $e) {
            $this->assertSame('restaurant', $e->field);
        }
    }

    public function testRestaurants(): void
    {
        $all = self::$store->restaurants();
        $this->assertSame(['BELLECOUR', 'CROIX-ROUSSE', 'GERLAND', 'PART-DIEU', 'VAISE'], array_column($all, 'code'));
        $gerland = $all[2];
        $this->assertSame(['code', 'name', 'address', 'phone', 'delivery_postcodes'], array_keys($gerland));
        $this->assertSame(['line1' => '250 avenue Jean Jaurès', 'postcode' => '69007', 'city' => 'Lyon'], $gerland['address']);
        $this->assertSame('+33 4 78 72 07 07', $gerland['phone']);
        $this->assertSame(['69007', '69008'], $gerland['delivery_postcodes']);
    }
}
