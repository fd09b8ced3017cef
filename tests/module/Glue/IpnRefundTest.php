<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Refund\RefundKey;
use OCPizzaModule\Tests\GlueTestCase;

/**
 * Issue 13, from the gateway: REST (kr-*) notifications and refunds reaching the shop through the IPN, with the REAL
 * extension (signatures, kr-hash, parsing) and its REAL Store on a real OCPizza_DB, where the refund rows and their
 * order.refunded events must show.
 */
final class IpnRefundTest extends GlueTestCase
{
    private const PAID_UUID = 'ab12ab12ab12ab12ab12ab12ab12ab12';

    protected function setUp(): void
    {
        parent::setUp();
        $this->useRealOcpizzaDb('ocpizza_module_ipnrefund');
        \Configuration::updateValue(Keys::REST_PASSWORD_TEST, self::REST_PASSWORD);
    }

    protected function tearDown(): void
    {
        $this->dropRealOcpizzaDb();
    }

    /** @return array{0:int, 1:string} status and body of the IPN for $post */
    private function ipn(array $post): array
    {
        [$body, , $controller] = $this->runController('ipn', [], $post, 'POST');

        return [$controller->ipnResponse->httpStatus, $body];
    }

    /** @return list<array{0:int, 1:string, 2:string}> amount, source, transaction key of the order's refunds */
    private function refunds(int $orderId): array
    {
        $st = $this->ocp->prepare('SELECT rf.amount_cents, rf.source, CONVERT(rf.transaction_key USING utf8mb4) FROM refunds rf JOIN payments p ON p.id = rf.payment_id '
            . 'JOIN orders o ON o.id = p.order_id WHERE o.shop_order_id = ? ORDER BY rf.id');
        $st->execute([$orderId]);

        return array_map(static fn ($r) => [(int) $r[0], $r[1], $r[2]], $st->fetchAll(\PDO::FETCH_NUM));
    }

    /** @return list<array> the data of the order's order.refunded events */
    private function refundEvents(int $orderId): array
    {
        $st = $this->ocp->prepare("SELECT payload FROM outbox WHERE shop_order_id = ? AND event_type = 'order.refunded' ORDER BY id");
        $st->execute([$orderId]);

        return array_map(static fn ($p) => json_decode($p, true)['data'], $st->fetchAll(\PDO::FETCH_COLUMN));
    }

    public function testRestPaymentCreatesTheOrderThenRestRefundsPartialAndFull(): void
    {
        $cart = $this->makeCart([1 => 1]); // 14.00 with delivery
        [$status, $body] = $this->ipn(self::restPost(self::restAnswer($cart)));
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertSame([200, 'OK-Order ' . $orderId . ' created'], [$status, $body]);
        $this->assertSame(2, $this->stateOf($orderId), 'Payment accepted, as for the form');
        $this->assertSame([['paid', 1400, 'CAPTURED', self::PAID_UUID]], $this->ocp->query('SELECT p.status, p.amount_cents, p.raw_status, p.transaction_uuid FROM payments p '
            . 'JOIN orders o ON o.id = p.order_id WHERE o.shop_order_id = ' . $orderId)->fetchAll(\PDO::FETCH_NUM));
        $this->assertSame([200, 'OK-Already registered'], $this->ipn(self::restPost(self::restAnswer($cart))), 're-sent');

        $credit1 = self::restPost(self::restAnswer($cart, ['uuid' => str_repeat('cd34', 8), 'amount' => 500, 'operationType' => 'CREDIT']));
        $this->assertSame([200, 'OK-Refund recorded (partial)'], $this->ipn($credit1));
        $this->assertSame((int) \Configuration::get(Keys::OS_PARTIALLY_REFUNDED), $this->stateOf($orderId));
        $this->assertSame([200, 'OK-Refund already registered'], $this->ipn($credit1), 'the same refund notified twice');
        $this->assertSame([[500, 'gateway', RefundKey::refund(self::SITE_ID, str_repeat('cd34', 8))]], $this->refunds($orderId), 'one row');

        $credit2 = self::restPost(self::restAnswer($cart, ['uuid' => str_repeat('ef56', 8), 'amount' => 900, 'operationType' => 'CREDIT']));
        $this->assertSame([200, 'OK-Refund recorded (full)'], $this->ipn($credit2));
        $this->assertSame((int) \Configuration::get('PS_OS_REFUND'), $this->stateOf($orderId));
        $this->assertSame([500, 900], array_column($this->refunds($orderId), 0));
        $events = $this->refundEvents($orderId);
        $this->assertSame([[500, 500, 1400, false, 'gateway'], [900, 1400, 1400, true, 'gateway']], array_map(
            static fn ($e) => [$e['amount_cents'], $e['refunded_total_cents'], $e['paid_cents'], $e['full'], $e['source']], $events));
        $this->assertSame(str_repeat('ef56', 8), $events[1]['transaction_uuid']);
        $this->assertSame(1, $this->orderCount((int) $cart->id));
    }

    public function testFormCreditOnceWhateverTheResendsAndNeverBeyondWhatWasPaid(): void
    {
        $cart = $this->makeCart([1 => 1]);
        [, $body] = $this->ipn(self::signedNotification(['vads_order_id' => (string) $cart->id, 'vads_amount' => '1400', 'vads_trans_status' => 'CAPTURED', 'vads_trans_uuid' => self::PAID_UUID]));
        $this->assertStringStartsWith('OK-Order', $body);
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);

        $credit = ['vads_order_id' => (string) $cart->id, 'vads_amount' => '300', 'vads_trans_status' => 'CAPTURED', 'vads_operation_type' => 'CREDIT',
            'vads_trans_id' => '123457', 'vads_trans_uuid' => str_repeat('cd34', 8), 'vads_url_check_src' => 'MERCH_BO'];
        $this->assertSame([200, 'OK-Refund recorded (partial)'], $this->ipn(self::signedNotification($credit)));
        // Re-sent from the back office: another vads_hash and trigger, the same CREDIT transaction.
        $this->assertSame([200, 'OK-Refund already registered'], $this->ipn(self::signedNotification(['vads_url_check_src' => 'BO'] + $credit)));
        $this->assertSame([[300, 'gateway', RefundKey::refund(self::SITE_ID, str_repeat('cd34', 8))]], $this->refunds($orderId));
        $this->assertSame((int) \Configuration::get(Keys::OS_PARTIALLY_REFUNDED), $this->stateOf($orderId));

        // More than is left: refused by the Store naming the amount, nothing written, logged as an error.
        [$status, $body] = $this->ipn(self::signedNotification(['vads_amount' => '1101', 'vads_trans_uuid' => str_repeat('ef56', 8)] + $credit));
        $this->assertSame(200, $status);
        $this->assertStringStartsWith('KO-Refused: amount_cents: is 1101 but only 1100', $body);
        $this->assertCount(1, $this->refunds($orderId));
        $this->assertSame('3', (string) \Db::getInstance()->getValue("SELECT severity FROM ps_log WHERE message LIKE '%refused: amount_cents%'", false), 'an error');
        // A refund pending at the gateway gives nothing back yet.
        $this->assertSame([200, 'OK-Refund refund_pending noted, nothing recorded'], $this->ipn(self::signedNotification(['vads_trans_status' => 'REFUND_TO_RETRY', 'vads_trans_uuid' => str_repeat('ef56', 8)] + $credit)));
        $this->assertCount(1, $this->refunds($orderId));
        $this->assertSame((int) \Configuration::get(Keys::OS_PARTIALLY_REFUNDED), $this->stateOf($orderId));
    }

    public function testAPaymentCancelledAtTheGatewayBeforeCaptureIsRecordedAsACancellation(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $paid = ['vads_order_id' => (string) $cart->id, 'vads_amount' => '1400', 'vads_trans_status' => 'AUTHORISED', 'vads_trans_uuid' => self::PAID_UUID];
        $this->ipn(self::signedNotification($paid));
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        // Authorised for less (10.00), then cancelled: two steps, one row each.
        $this->assertSame([200, 'OK-Cancellation recorded (partial)'], $this->ipn(self::signedNotification(['vads_amount' => '1000', 'vads_url_check_src' => 'MERCH_BO'] + $paid)));
        $this->assertSame([200, 'OK-Cancellation recorded (full)'], $this->ipn(self::signedNotification(['vads_trans_status' => 'CANCELLED', 'vads_url_check_src' => 'MERCH_BO'] + $paid)));
        $this->assertSame([
            [400, 'gateway', RefundKey::cancellation(self::SITE_ID, self::PAID_UUID, 1000)],
            [1000, 'gateway', RefundKey::cancellation(self::SITE_ID, self::PAID_UUID, 0)],
        ], $this->refunds($orderId));
        $this->assertSame((int) \Configuration::get('PS_OS_REFUND'), $this->stateOf($orderId));
    }

    public function testBadKrHashAndMalformedAnswersAreRefusedNamingTheField(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $this->assertSame([200, 'KO-Invalid signature'], $this->ipn(self::restPost(self::restAnswer($cart), 'testpassword_other')));
        $tampered = self::restPost(self::restAnswer($cart));
        $tampered['kr-answer'] = str_replace('"amount":1400', '"amount":1', $tampered['kr-answer']);
        $this->assertSame([200, 'KO-Invalid signature'], $this->ipn($tampered), 'hashed on the exact posted bytes');
        $this->assertSame([200, 'KO-Invalid notification: kr-answer.transactions[0].amount'], $this->ipn(self::restPost(self::restAnswer($cart, ['amount' => 'abc']))));
        $unknown = self::restPost(self::restAnswer($cart));
        $unknown['kr-answer-type'] = 'V4/Charge/Unknown';
        $this->assertSame([200, 'KO-Invalid notification: kr-answer-type'], $this->ipn($unknown));
        $prod = self::restAnswer($cart);
        $prod['orderDetails']['mode'] = 'PRODUCTION';
        $this->assertSame([200, 'KO-Invalid notification: kr-answer.orderDetails.mode'], $this->ipn(self::restPost($prod)));
        $this->assertSame(0, $this->orderCount((int) $cart->id));

        \Configuration::updateValue(Keys::REST_PASSWORD_TEST, '');
        $this->assertSame([503, 'KO-Module not configured: REST password'], $this->ipn(self::restPost(self::restAnswer($cart))));
        $this->assertSame(0, $this->orderCount((int) $cart->id));
        $log = implode("\n", array_column(\Db::getInstance()->executeS('SELECT message FROM ps_log'), 'message'));
        $this->assertStringNotContainsString(self::REST_PASSWORD, $log);
    }

    public function testAbandonedRestNotificationOfAnExistingOrderIsIgnored(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $this->assertStringStartsWith('OK-Order', $this->ipn(self::restPost(self::restAnswer($cart, ['detailedStatus' => 'WAITING_AUTHORISATION', 'status' => 'RUNNING'], 'RUNNING')))[1]);
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $pending = (int) \Configuration::get(Keys::OS_PENDING);
        $this->assertSame($pending, $this->stateOf($orderId));
        $this->assertSame([200, 'OK-Abandoned payment ignored'], $this->ipn(self::restPost(self::restAnswer($cart, ['detailedStatus' => 'ABANDONED', 'status' => 'UNPAID'], 'ABANDONED'))));
        $this->assertSame($pending, $this->stateOf($orderId));
    }
}
