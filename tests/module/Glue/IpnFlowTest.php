<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Tests\GlueTestCase;
use OCPizzaModule\Tests\Support\JournalGateway;

/** The IPN front controller, validateOrder and the order hooks, against the PrestaShop stand-in. */
final class IpnFlowTest extends GlueTestCase
{
    private function ipn(array $post): array
    {
        [$body, $redirect, $controller] = $this->runController('ipn', [], $post, 'POST');

        return [$controller->ipnResponse->httpStatus, $body];
    }

    public function testPaidIpnCreatesTheOrderRecordsItAndItsPayment(): void
    {
        $this->useParserDouble();
        $cart = $this->makeCart([1 => 2, 3 => 1]); // 2 × 11.50 + 2.50 + delivery 2.50 = 28.00
        [$status, $body] = $this->ipn(self::notificationFields($cart, 'AUTHORISED'));

        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertSame([200, 'OK-Order ' . $orderId . ' created'], [$status, $body]);
        $this->assertSame(2, $this->stateOf($orderId), 'Payment accepted');
        $order = new \Order($orderId);
        $this->assertSame('28.000000', $order->total_paid_real, 'amount reported by the gateway');
        $this->assertSame('Carte bancaire (SogeCommerce)', $order->payment);

        $recorded = JournalGateway::journalled('recordOrder');
        $this->assertCount(1, $recorded);
        $o = $recorded[0];
        $this->assertSame([$orderId, 'BELLECOUR', 'delivery', 'card_online', 'EUR', 2800], [$o['shop_order_id'], $o['restaurant'], $o['fulfilment'], $o['payment_method'], $o['currency'], $o['total_cents']]);
        $this->assertSame($order->reference, $o['reference']);
        $this->assertSame(['shop_customer_id' => 1, 'email' => 'camille.martin@example.org', 'first_name' => 'Camille', 'last_name' => 'Martin', 'phone' => '06 12 34 56 78'], $o['customer']);
        $this->assertSame(['line1' => '12 rue de la République', 'line2' => '3e étage', 'postcode' => '69002', 'city' => 'Lyon', 'country' => 'FR'], $o['delivery_address']);
        $this->assertSame([
            ['kind' => 'product', 'sku' => 'PIZZA-MARGHERITA', 'name' => 'Pizza Margherita', 'quantity' => 2, 'unit_price_cents' => 1150, 'vat_rate' => '10.00'],
            ['kind' => 'product', 'sku' => 'DRINK-COLA-33', 'name' => 'Cola 33 cl', 'quantity' => 1, 'unit_price_cents' => 250, 'vat_rate' => '5.50'],
            ['kind' => 'delivery', 'name' => 'Livraison OC Pizza', 'quantity' => 1, 'unit_price_cents' => 250, 'vat_rate' => '10.00'],
        ], $o['lines']);
        $this->assertMatchesRegularExpression('/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/', $o['placed_at']);

        $this->assertSame([['shop_order_id' => $orderId, 'status' => 'accepted', 'note' => 'PrestaShop: Paiement accepté']], JournalGateway::journalled('setStatus'));
        $payments = JournalGateway::journalled('recordPayment');
        $this->assertCount(1, $payments);
        $this->assertSame(['sogecommerce', 2800, 'EUR', 'paid', 'AUTHORISED'], [$payments[0]['provider'], $payments[0]['amount_cents'], $payments[0]['currency'], $payments[0]['status'], $payments[0]['raw_status']]);
        $this->assertSame(['ocp_order_id' => 5000 + $orderId, 'fulfilment' => 'delivery', 'oc_status' => 'accepted'], $this->module->links()->find($orderId));
    }

    public function testReplayLateCancelAndResendNeverRegressAPaidOrder(): void
    {
        $this->useParserDouble();
        $cart = $this->makeCart([2 => 1]);
        $paid = self::notificationFields($cart, 'AUTHORISED');
        $this->ipn($paid);
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);

        $this->assertSame([200, 'OK-Already registered'], $this->ipn($paid), 'replay');
        $this->assertSame([200, 'OK-Already registered'], $this->ipn(['vads_url_check_src' => 'BO', 'vads_hash' => 'other'] + $paid), 're-sent from the back office');
        $this->assertSame([200, 'OK-Order already paid, status kept'], $this->ipn(self::notificationFields($cart, 'CANCELLED', ['vads_url_check_src' => 'BATCH'])), 'late cancel');
        $this->assertSame([200, 'OK-Order already paid, status kept'], $this->ipn(self::notificationFields($cart, 'REFUSED')), 'late refusal');

        $this->assertSame(1, $this->orderCount((int) $cart->id));
        $this->assertSame(2, $this->stateOf($orderId));
        $this->assertSame(1, (int) \Db::getInstance()->getValue('SELECT COUNT(*) FROM ps_order_history WHERE id_order = ' . $orderId, false));
        $this->assertCount(1, JournalGateway::journalled('recordOrder'));
        $this->assertCount(1, JournalGateway::journalled('setStatus'));
    }

    public function testPendingThenPaid(): void
    {
        $this->useParserDouble();
        $cart = $this->makeCart([1 => 1]);
        $this->ipn(self::notificationFields($cart, 'WAITING_AUTHORISATION'));
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertSame((int) \Configuration::get(Keys::OS_PENDING), $this->stateOf($orderId));
        $this->assertCount(1, JournalGateway::journalled('recordOrder'), 'a pending card order is recorded (status received)');
        $this->assertSame([], JournalGateway::journalled('setStatus'));

        $this->assertSame([200, 'OK-Order ' . $orderId . ' updated'], $this->ipn(self::notificationFields($cart, 'AUTHORISED')));
        $this->assertSame(2, $this->stateOf($orderId));
        $this->assertSame(['accepted'], array_column(JournalGateway::journalled('setStatus'), 'status'));
    }

    public function mismatchProvider(): array
    {
        return [
            'amount' => [['vads_amount' => '100'], 'Amount mismatch'],
            'currency' => [['vads_currency' => '840'], 'Currency mismatch'],
        ];
    }

    /**
     * Verified and recorded (in payment error) → OK-, the documented rule (issue 10: it used to answer KO-).
     *
     * @dataProvider mismatchProvider
     */
    public function testMismatchPutsTheOrderInPaymentErrorWithAMessage(array $over, string $message): void
    {
        $this->useParserDouble();
        $cart = $this->makeCart([1 => 1]);
        [$status, $body] = $this->ipn(self::notificationFields($cart, 'AUTHORISED', $over));
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertSame(200, $status);
        $this->assertStringStartsWith('OK-' . $message, $body);
        $this->assertSame(8, $this->stateOf($orderId), 'Payment error');
        $this->assertStringContainsString($message, (string) \Db::getInstance()->getValue('SELECT message FROM ps_message WHERE id_order = ' . $orderId, false));
        $this->assertSame([], JournalGateway::journalled('recordOrder'), 'not sent to the restaurant');
    }

    public function refusedProvider(): array
    {
        return [
            'tampered' => [['signature' => 'forged'], 'KO-Invalid signature'],
            'wrong mode' => [['vads_ctx_mode' => 'PRODUCTION'], 'KO-Invalid notification: vads_ctx_mode'],
            'other shop' => [['vads_site_id' => '87654321'], 'KO-Wrong shop id'],
            'unknown cart' => [['vads_order_id' => '999999'], 'KO-Unknown cart'],
        ];
    }

    /** @dataProvider refusedProvider */
    public function testRefusedNotificationsCreateNothing(array $over, string $body): void
    {
        $this->useParserDouble();
        $cart = $this->makeCart([1 => 1]);
        $this->assertSame([200, $body], $this->ipn(self::notificationFields($cart, 'AUTHORISED', $over)));
        $this->assertSame(0, $this->orderCount((int) $cart->id));
        $log = implode("\n", array_column(\Db::getInstance()->executeS('SELECT message FROM ps_log'), 'message'));
        $this->assertStringNotContainsString(self::TEST_KEY, $log);
    }

    public function testNonPostAndArrayFieldsAreRefused(): void
    {
        $this->useParserDouble();
        [$body, , $c] = $this->runController('ipn', [], [], 'GET');
        $this->assertSame([405, 'KO-POST only'], [$c->ipnResponse->httpStatus, $body]);
        $cart = $this->makeCart([1 => 1]);
        $this->assertSame([200, 'KO-Invalid notification'], $this->ipn(['vads_amount' => ['1']] + self::notificationFields($cart, 'AUTHORISED')));
        $this->assertSame(0, $this->orderCount((int) $cart->id));
    }

    public function testRecordingFailureAnswers500ThenTheRetryCompletesIt(): void
    {
        $this->useParserDouble();
        $cart = $this->makeCart([1 => 1]);
        $this->gateway->failAlways['recordOrder'] = new \OCPizza\DbException('OCPizza_DB: connection refused');
        [$status, $body] = $this->ipn(self::notificationFields($cart, 'AUTHORISED'));
        $this->assertSame(500, $status, 'not recorded: the gateway must retry');
        $this->assertSame('KO-Could not record, retry later', $body);
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertSame(2, $this->stateOf($orderId), 'the shop order exists and is paid');
        $this->assertNull($this->module->links()->find($orderId));
        $this->assertStringContainsString('not recorded in OCPizza_DB', (string) \Db::getInstance()->getValue("SELECT message FROM ps_log WHERE message LIKE '%not recorded in OCPizza_DB%'", false));

        unset($this->gateway->failAlways['recordOrder']); // OCPizza_DB is back

        $this->assertSame([200, 'OK-Already registered'], $this->ipn(self::notificationFields($cart, 'AUTHORISED')));
        $this->assertNotNull($this->module->links()->find($orderId));
        $this->assertSame(1, $this->orderCount((int) $cart->id));
        $this->assertCount(1, JournalGateway::journalled('recordPayment'));
    }

    public function testStandInValidateOrderStopsWhenTheCartAlreadyHasAnOrder(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $this->module->validateOrder((int) $cart->id, 2, 14.0, 'Card', null, [], 1, false, $cart->secure_key);
        try {
            $this->module->validateOrder((int) $cart->id, 2, 14.0, 'Card', null, [], 1, false, $cart->secure_key);
            $this->fail('a second order was created');
        } catch (\StandInHalt $h) {
            $this->assertStringContainsString('an order has already been placed using this cart', $h->getMessage());
        }
        $this->assertSame(1, $this->orderCount((int) $cart->id));
    }

    public function testStandInValidateOrderForcesPaymentErrorWhenTheAmountDiffers(): void
    {
        $cart = $this->makeCart([1 => 1]); // 14.00
        $this->module->validateOrder((int) $cart->id, 2, 13.99, 'Card', null, [], 1, false, $cart->secure_key);
        $this->assertSame(8, $this->stateOf((int) $this->module->currentOrder));
        $cart2 = $this->makeCart([1 => 1]);
        $this->module->validateOrder((int) $cart2->id, 2, 14.001, 'Card', null, [], 1, false, $cart2->secure_key);
        $this->assertSame(2, $this->stateOf((int) $this->module->currentOrder), 'compared at the currency precision');
    }

    public function testRealExtensionVerifiesTheGatewaysSignature(): void
    {
        self::requireExtension();
        $cart = $this->makeCart([1 => 1]);
        $fields = self::signedNotification(['vads_order_id' => (string) $cart->id, 'vads_amount' => '1400', 'vads_trans_status' => 'AUTHORISED']);
        $tampered = ['vads_amount' => '1'] + $fields;
        $this->assertSame([200, 'KO-Invalid signature'], $this->ipn($tampered));
        $prodSigned = self::signedNotification(['vads_ctx_mode' => 'PRODUCTION', 'vads_order_id' => (string) $cart->id, 'vads_amount' => '1400', 'vads_trans_status' => 'AUTHORISED']);
        [$status, $body] = $this->ipn($prodSigned);
        $this->assertSame(200, $status);
        $this->assertStringStartsWith('KO-', $body, 'a TEST shop refuses a PRODUCTION notification');
        $this->assertSame(0, $this->orderCount((int) $cart->id));

        [$status, $body] = $this->ipn($fields);
        $this->assertSame(200, $status);
        $this->assertStringStartsWith('OK-Order', $body);
        $this->assertSame([200, 'OK-Already registered'], $this->ipn(['vads_hash' => 'resent', 'vads_url_check_src' => 'RETRY'] + $fields === $fields ? $fields : $fields));
        $this->assertSame(1, $this->orderCount((int) $cart->id));
    }

    /**
     * A refund made in SogeCommerce's back office, through the real extension: its CREDIT notification reads as
     * `refunded` (never `paid`), and the paid order gets the refund state.
     */
    public function testRealExtensionCreditNotificationRefundsThePaidOrder(): void
    {
        self::requireExtension();
        $cart = $this->makeCart([1 => 1]);
        $paid = self::signedNotification(['vads_order_id' => (string) $cart->id, 'vads_amount' => '1400', 'vads_trans_status' => 'AUTHORISED']);
        [, $body] = $this->ipn($paid);
        $this->assertStringStartsWith('OK-Order', $body);
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);

        $credit = self::signedNotification([
            'vads_order_id' => (string) $cart->id, 'vads_amount' => '1400', 'vads_trans_status' => 'CAPTURED',
            'vads_operation_type' => 'CREDIT', 'vads_trans_id' => '123457', 'vads_trans_uuid' => str_repeat('cd34', 8),
        ]);
        $this->assertSame([200, 'OK-Refund recorded (full)'], $this->ipn($credit));
        $this->assertSame((int) \Configuration::get('PS_OS_REFUND'), $this->stateOf($orderId));
        $this->assertSame([200, 'OK-Refund already registered'], $this->ipn($credit), 'a re-sent refund changes nothing');
        $this->assertCount(2, JournalGateway::journalled('recordRefund'));
        $this->assertSame(\OCPizzaModule\Refund\RefundKey::refund(self::SITE_ID, str_repeat('cd34', 8)), JournalGateway::journalled('recordRefund')[0]['transaction_key']);
        $this->assertSame(1, $this->orderCount((int) $cart->id));
    }
}
