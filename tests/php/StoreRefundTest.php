<?php

declare(strict_types=1);

use OCPizza\Tests\Orders;
use OCPizza\Tests\StoreTestCase;

/** Store::recordRefund through the real extension and MariaDB. */
final class StoreRefundTest extends StoreTestCase
{
    /** An order of 16.40 EUR, paid by card. */
    private static function paidOrder(): int
    {
        $id = Orders::newId();
        self::$store->recordOrder(Orders::delivery($id));
        self::$store->recordPayment(Orders::payment($id));

        return $id;
    }

    private static function refund(int $id, string $key, int $amount): array
    {
        return ['shop_order_id' => $id, 'transaction_key' => $key, 'amount_cents' => $amount, 'currency' => 'EUR',
            'reason' => 'Pizza arrivée froide', 'source' => 'shop', 'requested_by' => 'Back office: Marie'];
    }

    private static function refunds(): int
    {
        return (int) self::scalar('SELECT COUNT(*) FROM refunds');
    }

    public function testARefundIsRecordedOnceWithItsEvent(): void
    {
        $id = self::paidOrder();
        $first = self::$store->recordRefund(self::refund($id, "php-rf:$id:1", 640));
        $this->assertSame(['refund_id', 'created', 'amount_cents', 'paid_cents', 'refunded_total_cents', 'full'], array_keys($first));
        $this->assertIsInt($first['refund_id']);
        $this->assertTrue($first['created']);
        $this->assertSame([640, 1640, 640, false], [$first['amount_cents'], $first['paid_cents'], $first['refunded_total_cents'], $first['full']]);
        $this->assertSame(['order.created', 'order.paid', 'order.refunded'], self::eventTypes($id));
        $event = json_decode((string) self::scalar(
            "SELECT payload FROM outbox WHERE shop_order_id = ? AND event_type = 'order.refunded'", [$id]), true);
        $this->assertSame(640, $event['data']['amount_cents']);
        $this->assertSame(1640, $event['data']['paid_cents']);
        $this->assertFalse($event['data']['full']);
        $this->assertSame("sogecommerce:12345678:{$id}:1", $event['data']['payment_transaction_key']);
        $this->assertSame('Pizza arrivée froide', $event['data']['reason']);
        $this->assertSame('Pizza arrivée froide', self::scalar('SELECT reason FROM refunds WHERE id = ?', [$first['refund_id']]));

        $before = [Orders::snapshot(self::$pdo), self::refunds()];
        $this->assertSame(['refund_id' => $first['refund_id'], 'created' => false, 'amount_cents' => 640, 'paid_cents' => 1640,
            'refunded_total_cents' => 640, 'full' => false], self::$store->recordRefund(self::refund($id, "php-rf:$id:1", 640)));
        $this->assertSame($before, [Orders::snapshot(self::$pdo), self::refunds()], 'the same refund again writes nothing');

        $rest = self::$store->recordRefund(self::refund($id, "php-rf:$id:2", 1000));
        $this->assertTrue($rest['created']);
        $this->assertSame([1640, true], [$rest['refunded_total_cents'], $rest['full']], 'the store says the order is fully refunded');
        $last = json_decode((string) self::scalar(
            "SELECT payload FROM outbox WHERE shop_order_id = ? AND event_type = 'order.refunded' ORDER BY id DESC LIMIT 1", [$id]), true);
        $this->assertTrue($last['data']['full']);
        $this->assertSame(1640, $last['data']['refunded_total_cents']);
    }

    public function testNeverMoreThanWasPaidAndOnlyAPaidPayment(): void
    {
        $id = self::paidOrder();
        $before = self::refunds();
        $e = $this->assertRefused('amount_cents', fn () => self::$store->recordRefund(self::refund($id, "php-rf:$id:big", 1641)));
        $this->assertStringContainsString('1640', $e->getMessage());
        self::$store->recordRefund(self::refund($id, "php-rf:$id:a", 1600));
        $this->assertRefused('amount_cents', fn () => self::$store->recordRefund(self::refund($id, "php-rf:$id:b", 41)));
        $this->assertRefused('amount_cents', fn () => self::$store->recordRefund(self::refund($id, "php-rf:$id:c", 0)));
        $this->assertSame($before + 1, self::refunds());

        $unpaid = Orders::newId();
        self::$store->recordOrder(Orders::delivery($unpaid));
        $this->assertRefused('payment_transaction_key', fn () => self::$store->recordRefund(self::refund($unpaid, "php-rf:$unpaid", 100)));
        self::$store->recordPayment(Orders::payment($unpaid, "php-refused:$unpaid", 'failed'));
        $r = self::refund($unpaid, "php-rf:$unpaid", 100) + ['payment_transaction_key' => "php-refused:$unpaid"];
        $this->assertRefused('payment_transaction_key', fn () => self::$store->recordRefund($r));
        $this->assertRefused('shop_order_id', fn () => self::$store->recordRefund(self::refund(Orders::newId(), 'php-rf:none', 100)));
    }

    /** What the module will do with a refund made in the gateway's back office: the notification's result as is. */
    public function testARefundNotificationFeedsRecordRefund(): void
    {
        require_once __DIR__ . '/SogeCommerceRestTest.php';
        $id = self::paidOrder();
        $a = SogeCommerceRestTest::answer();
        $a['transactions'][0]['operationType'] = 'CREDIT';
        $a['transactions'][0]['amount'] = 640;
        $n = OCPizza\SogeCommerce::parseRestNotification(SogeCommerceRestTest::post(json_encode($a)),
            'testpassword_SbEbeOueaMDyg8Rtei1bSaiB5lms9V0ZDjzldGXGAnIwH', '', 'TEST');
        $this->assertSame('refunded', $n['outcome']);
        $r = self::$store->recordRefund($n + ['shop_order_id' => $id, 'source' => 'gateway']);
        $this->assertTrue($r['created']);
        $this->assertSame([640, 'gateway', $n['idempotency_key']], array_values(self::rows(
            'SELECT amount_cents, source, transaction_key FROM refunds WHERE id = ?', [$r['refund_id']])[0]));
        $this->assertFalse(self::$store->recordRefund($n + ['shop_order_id' => $id, 'source' => 'gateway'])['created']);
        // A refund that failed at the gateway is not one.
        $failed = ['outcome' => 'refund_failed'] + $n;
        $failed['idempotency_key'] .= '-x';
        $this->assertRefused('outcome', fn () => self::$store->recordRefund($failed + ['shop_order_id' => $id]));
    }

    /** A cancellation the gateway notified: the payment named by its uuid, the amount by what is still authorised. */
    public function testACancellationByStillAuthorisedAmount(): void
    {
        $id = Orders::newId();
        self::$store->recordOrder(Orders::delivery($id));
        $uuid = str_repeat('ef56', 8);
        self::$store->recordPayment(Orders::payment($id) + ['transaction_uuid' => $uuid]);
        $step = fn (string $key, int $still, string $u) => ['shop_order_id' => $id, 'transaction_key' => $key,
            'still_authorised_cents' => $still, 'currency' => 'EUR', 'payment_transaction_uuid' => $u, 'source' => 'gateway'];
        $this->assertRefused('payment_transaction_uuid', fn () => self::$store->recordRefund($step("php-c:$id:x", 1000, str_repeat('0', 32))));
        $this->assertRefused('still_authorised_cents', fn () => self::$store->recordRefund($step("php-c:$id:x", 1640, $uuid)));
        $r = self::$store->recordRefund($step("php-c:$id:1000", 1000, $uuid));
        $this->assertSame([true, 640, 640, false], [$r['created'], $r['amount_cents'], $r['refunded_total_cents'], $r['full']]);
        $r = self::$store->recordRefund($step("php-c:$id:0", 0, $uuid));
        $this->assertSame([true, 1000, 1640, true], [$r['created'], $r['amount_cents'], $r['refunded_total_cents'], $r['full']]);
        $this->assertSame(['640', '1000'], array_map('strval', array_column(self::rows(
            'SELECT rf.amount_cents FROM refunds rf JOIN payments p ON p.id = rf.payment_id JOIN orders o ON o.id = p.order_id WHERE o.shop_order_id = ? ORDER BY rf.id', [$id]), 'amount_cents')));
    }

    public function testAKeyOfAnotherOrderAndBadFieldsAreRefusedByName(): void
    {
        $a = self::paidOrder();
        $b = self::paidOrder();
        self::$store->recordRefund(self::refund($a, "php-rf:shared:$a", 100));
        $this->assertRefused('transaction_key', fn () => self::$store->recordRefund(self::refund($b, "php-rf:shared:$a", 100)));

        $cases = [
            'currency' => 'USD',
            'transaction_key' => "rembours\u{e9}",
            'source' => 'customer',
            'reason' => '   ',
            'occurred_at' => 'hier',
            'payment_transaction_key' => "k\n",
        ];
        foreach ($cases as $field => $value) {
            $r = self::refund($b, "php-rf:bad:$b", 100);
            $r[$field] = $value;
            $this->assertRefused($field, fn () => self::$store->recordRefund($r));
        }
        $this->assertRefused('input', fn () => self::$store->recordRefund([1, 2]));
    }
}
