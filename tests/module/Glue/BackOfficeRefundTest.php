<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Refund\RefundKey;
use OCPizzaModule\Tests\GlueTestCase;

/**
 * Issue 13, "From the shop": refunds made in PrestaShop's back office (credit slips of standard and partial refunds,
 * moves to Cancelled / Refunded by an employee) asked of SogeCommerce once each, for exactly the amount refunded in
 * PrestaShop, recorded in OCPizza_DB only when the gateway confirmed, and shown on the order page. The gateway's
 * answers come from the gateway double's refunder (the real extension and the REST stand-in: RealRefundTest).
 */
final class BackOfficeRefundTest extends GlueTestCase
{
    private const UUID = '0b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c';
    private const REST_URL = 'https://api-sogecommerce.test/api-payment/';

    /** @var int credits made by the refunder */
    private $credits = 0;

    protected function setUp(): void
    {
        parent::setUp();
        $this->configure([Keys::REST_URL => self::REST_URL, Keys::REST_PASSWORD_TEST => self::REST_PASSWORD]);
        \Db::getInstance()->insert('employee', ['id_employee' => 1, 'firstname' => 'Lucie', 'lastname' => 'Garnier']);
        // A captured payment: every request is a refund by a new CREDIT, as SogeCommerce answers it.
        $this->gateway->refunder = function (string $api, string $shop, string $password, string $uuid, int $amount, string $currency): array {
            ++$this->credits;

            return ['resolution' => 'refund', 'uuid' => sprintf('%032x', 0xc0ffee0000 + $this->credits), 'operation_type' => 'CREDIT', 'status' => 'PAID',
                'detailed_status' => 'AUTHORISED', 'amount_cents' => $amount, 'currency' => $currency, 'outcome' => 'refunded', 'confirmed' => true];
        };
    }

    /** The order as the IPN creates it for a captured card payment: paid, its OrderPayment holding the transaction uuid. */
    private function cardOrder(array $products = [1 => 2, 3 => 1]): \Order
    {
        $cart = $this->makeCart($products); // 2 × 11.50 + 2.50 + 2.50 delivery = 28.00
        $this->module->links()->rememberPaymentMethod((int) $cart->id, 'card_online');
        $this->module->validateOrder((int) $cart->id, (int) \Configuration::get('PS_OS_PAYMENT'), $cart->getOrderTotal(), 'Card (SogeCommerce)', null,
            ['transaction_id' => self::UUID], (int) $cart->id_currency, false, $cart->secure_key);
        $orderId = (int) $this->module->currentOrder;
        // The IPN records the paid payment too (IpnProcessor::recordPayment): the Store refunds only what was paid.
        $this->module->gateway()->recordPayment(['shop_order_id' => $orderId, 'provider' => 'sogecommerce', 'transaction_key' => 'sc:' . self::SITE_ID . ':pay:' . self::UUID,
            'amount_cents' => (int) round($cart->getOrderTotal() * 100), 'currency' => 'EUR', 'status' => 'paid', 'raw_status' => 'CAPTURED', 'transaction_uuid' => self::UUID]);

        return $this->backOffice(new \Order($orderId));
    }

    /** From here on the requests are the back office's: an employee is signed in, pages are in English. */
    private function backOffice(\Order $order): \Order
    {
        \Context::getContext()->employee = new \Employee(1);
        \Context::getContext()->language = new \Language(2);

        return $order;
    }

    private function setState(\Order $order, string $configKey): void
    {
        $h = new \OrderHistory();
        $h->id_order = (int) $order->id;
        $h->changeIdOrderState((int) \Configuration::get($configKey), new \Order((int) $order->id));
        $h->addWithemail();
    }

    private function ledger(int $orderId): array
    {
        return \Db::getInstance()->executeS('SELECT refund_key, amount_cents, state, resolution, error_code, transaction_key FROM ps_ocpizza_refund WHERE id_order = ' . $orderId . ' ORDER BY id_ocpizza_refund');
    }

    /** The order page's block: the rows given to the template. */
    private function orderPage(int $orderId): array
    {
        \Context::getContext()->smarty->vars = [];
        $html = $this->module->hookDisplayAdminOrderMain(['id_order' => $orderId]);
        if ($html === '') {
            return [];
        }
        $this->assertContains('module:ocpizza/views/templates/hook/admin_order_refunds.tpl', \Context::getContext()->smarty->fetched);

        return \Context::getContext()->smarty->getTemplateVars('ocpizza_refunds');
    }

    private static function gatewayError(string $code, string $message): \OCPizza\GatewayException
    {
        $e = new \OCPizza\GatewayException($message);
        $e->errorCode = $code;

        return $e;
    }

    public function testAStandardRefundAsksTheSlipAmountOnceAndRecordsItOnce(): void
    {
        $order = $this->cardOrder();
        $slip = \OrderSlipCreator::create($order, [10 => ['unit_price' => 11.50, 'quantity' => 1]]);
        // The hook fired again for the same slip (another module re-firing it, a replayed request): nothing more.
        \Hook::exec('actionOrderSlipAdd', ['order' => $order, 'productList' => [], 'qtyList' => []]);

        $calls = $this->gateway->callsTo('cancelOrRefund');
        $this->assertSame([['api_url' => self::REST_URL, 'shop_id' => self::SITE_ID, 'uuid' => self::UUID, 'amount_cents' => 1150, 'currency' => 'EUR']], $calls);
        $credit = sprintf('%032x', 0xc0ffee0001);
        $refunds = $this->gateway->callsTo('recordRefund');
        $this->assertCount(1, $refunds);
        $this->assertSame([
            'shop_order_id' => (int) $order->id, 'transaction_key' => RefundKey::refund(self::SITE_ID, $credit), 'amount_cents' => 1150, 'currency' => 'EUR',
            'source' => 'shop', 'transaction_uuid' => $credit, 'reason' => 'PrestaShop credit slip ' . (int) $slip->id, 'requested_by' => 'employee 1 Lucie Garnier',
        ], array_diff_key($refunds[0], ['occurred_at' => 1]));
        $this->assertMatchesRegularExpression('/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $refunds[0]['occurred_at']);
        $this->assertSame([['slip-' . $slip->id, 1150, 'recorded', 'refund', '', RefundKey::refund(self::SITE_ID, $credit)]], array_map('array_values', $this->ledger((int) $order->id)));

        $page = $this->orderPage((int) $order->id);
        $this->assertCount(1, $page);
        $this->assertSame(['Credit slip ' . $slip->id, '11.50 EUR', true, false], [$page[0]['what'], $page[0]['amount'], $page[0]['ok'], $page[0]['warning']]);
        $this->assertSame('Refunded by SogeCommerce (transaction ' . $credit . ').', $page[0]['message']);
    }

    public function testAPartialRefundOfAProductAndTheShippingAsksBoth(): void
    {
        $order = $this->cardOrder();
        \OrderSlipCreator::create($order, [11 => ['unit_price' => 2.50, 'quantity' => 1]], 2.50);

        $this->assertSame([500], array_column($this->gateway->callsTo('cancelOrRefund'), 'amount_cents'));
        $this->assertSame([500], array_column($this->gateway->callsTo('recordRefund'), 'amount_cents'));
    }

    public function testVouchersDeductedFromTheSlipAreNotAskedAndARefundAsAVoucherAsksNothing(): void
    {
        $cart = $this->makeCart([1 => 2], self::CARRIER_DELIVERY, 1, 2.50, ['BIENVENUE' => 3.00]); // 23.00 + 2.50 − 3.00
        $this->module->links()->rememberPaymentMethod((int) $cart->id, 'card_online');
        $this->module->validateOrder((int) $cart->id, (int) \Configuration::get('PS_OS_PAYMENT'), $cart->getOrderTotal(), 'Card (SogeCommerce)', null,
            ['transaction_id' => self::UUID], 1, false, $cart->secure_key);
        $order = $this->backOffice(new \Order((int) $this->module->currentOrder));
        \OrderSlipCreator::create($order, [10 => ['unit_price' => 11.50, 'quantity' => 2]], 0.0, null, true);
        $this->assertSame([2000], array_column($this->gateway->callsTo('cancelOrRefund'), 'amount_cents'), 'products less the order\'s vouchers');

        $_POST['cancel_product'] = ['voucher' => '1', 'credit_slip' => '1'];
        \OrderSlipCreator::create($order, [11 => ['unit_price' => 2.50, 'quantity' => 1]]);
        $this->assertCount(1, $this->gateway->callsTo('cancelOrRefund'), 'a voucher is not money back');
        $this->assertSame('Refunded as a voucher: nothing asked of SogeCommerce.', $this->orderPage((int) $order->id)[1]['message']);
    }

    public function testARefusalIsShownWithTheReasonAndNothingIsRecorded(): void
    {
        $order = $this->cardOrder();
        $this->gateway->refunder = function () {
            throw self::gatewayError('PSP_083', 'refused by the gateway: Chargebacks cannot be refunded [PSP_083]');
        };
        \OrderSlipCreator::create($order, [10 => ['unit_price' => 11.50, 'quantity' => 1]]);

        $this->assertSame([], $this->gateway->callsTo('recordRefund'));
        $this->assertSame(['refused', 'PSP_083'], [$this->ledger((int) $order->id)[0]['state'], $this->ledger((int) $order->id)[0]['error_code']]);
        $row = $this->orderPage((int) $order->id)[0];
        $this->assertTrue($row['warning']);
        $this->assertSame('Refused by SogeCommerce: refused by the gateway: Chargebacks cannot be refunded [PSP_083]. Nothing was given back: refund the customer from SogeCommerce\'s back office or another way.', $row['message']);

        // In French for a French-speaking employee.
        \Context::getContext()->language = new \Language(1);
        $this->assertStringStartsWith('Refusé par SogeCommerce : refused by the gateway', $this->orderPage((int) $order->id)[0]['message']);
    }

    public function testATimeoutIsShownAsUnknownAndNeverAskedAgain(): void
    {
        $order = $this->cardOrder();
        $this->gateway->refunder = function () {
            throw self::gatewayError('TIMEOUT', 'the gateway did not answer in time');
        };
        \OrderSlipCreator::create($order, [10 => ['unit_price' => 11.50, 'quantity' => 1]]);
        \Hook::exec('actionOrderSlipAdd', ['order' => $order, 'productList' => [], 'qtyList' => []]);
        // Cancelling the order now would ask for "the rest" without knowing what the first request did: not asked.
        $this->setState($order, 'PS_OS_CANCELED');

        $this->assertCount(1, $this->gateway->callsTo('cancelOrRefund'));
        $this->assertSame([], $this->gateway->callsTo('recordRefund'));
        $this->assertSame([['unknown', 'TIMEOUT'], ['not_sent', 'unresolved']], array_map(static function ($r) { return [$r['state'], $r['error_code']]; }, $this->ledger((int) $order->id)));
        $page = $this->orderPage((int) $order->id);
        $this->assertTrue($page[0]['warning']);
        $this->assertStringStartsWith('No answer from SogeCommerce (TIMEOUT): the refund may or may not have been made. Check the transaction in SogeCommerce\'s back office', $page[0]['message']);
        $this->assertStringStartsWith('Nothing asked of SogeCommerce: an earlier refund of this order has no known outcome.', $page[1]['message']);
    }

    public function testAGateway5xxIsUnknownAndAMissingExtensionIsNotSent(): void
    {
        $order = $this->cardOrder();
        $this->gateway->refunder = function () {
            throw self::gatewayError('HTTP_503', 'refused by the gateway: the gateway answered HTTP 503 [HTTP_503]');
        };
        \OrderSlipCreator::create($order, [10 => ['unit_price' => 11.50, 'quantity' => 1]]);
        $this->gateway->refunder = function () {
            throw new \OCPizzaModule\Contract\ExtensionMissing('the ocpizza PHP extension is not loaded');
        };
        \OrderSlipCreator::create(new \Order((int) $order->id), [11 => ['unit_price' => 2.50, 'quantity' => 1]]);

        $this->assertSame([['unknown', 'HTTP_503'], ['not_sent', 'not_sent_error']], array_map(static function ($r) { return [$r['state'], $r['error_code']]; }, $this->ledger((int) $order->id)));
        $page = $this->orderPage((int) $order->id);
        $this->assertStringStartsWith('No answer from SogeCommerce (HTTP_503)', $page[0]['message']);
        $this->assertSame(['Nothing asked of SogeCommerce: the ocpizza PHP extension is not loaded', true], [$page[1]['message'], $page[1]['warning']]);
        $this->assertSame([], $this->gateway->callsTo('recordRefund'));
    }

    public function testCancellingAfterAPartialRefundAsksOnlyTheRestAndARefundedStateAfterwardsAsksNothing(): void
    {
        $order = $this->cardOrder();
        \OrderSlipCreator::create($order, [10 => ['unit_price' => 11.50, 'quantity' => 1]]);
        $this->setState($order, 'PS_OS_CANCELED');
        $this->setState($order, 'PS_OS_CANCELED'); // a second click on the same state
        $this->setState($order, 'PS_OS_REFUND');

        $this->assertSame([1150, 1650], array_column($this->gateway->callsTo('cancelOrRefund'), 'amount_cents'));
        $this->assertSame([1150, 1650], array_column($this->gateway->callsTo('recordRefund'), 'amount_cents'));
        $this->assertSame([['recorded', ''], ['recorded', ''], ['not_sent', 'nothing_left']], array_map(static function ($r) { return [$r['state'], $r['error_code']]; }, $this->ledger((int) $order->id)));
        $this->assertSame('Nothing left to refund.', $this->orderPage((int) $order->id)[2]['message']);
    }

    public function testAPaymentNotCapturedYetIsCancelledWithTheCancellationKey(): void
    {
        $order = $this->cardOrder();
        $this->gateway->refunder = function (string $api, string $shop, string $password, string $uuid, int $amount, string $currency): array {
            // SogeCommerce with AUTO: a DEBIT not captured is authorised for less, or cancelled when nothing is left.
            $left = 2800 - $amount - (int) array_sum(array_slice(array_column($this->gateway->callsTo('cancelOrRefund'), 'amount_cents'), 0, -1));

            return ['resolution' => $left > 0 ? 'partial_cancellation' : 'cancellation', 'uuid' => $uuid, 'operation_type' => 'DEBIT', 'status' => $left > 0 ? 'PAID' : 'UNPAID',
                'detailed_status' => $left > 0 ? 'AUTHORISED' : 'CANCELLED', 'amount_cents' => $left > 0 ? $left : 2800, 'currency' => $currency,
                'outcome' => $left > 0 ? 'paid' : 'cancelled', 'confirmed' => true];
        };
        \OrderSlipCreator::create($order, [10 => ['unit_price' => 11.50, 'quantity' => 1]]);
        $this->setState($order, 'PS_OS_CANCELED');

        $this->assertSame([
            [RefundKey::cancellation(self::SITE_ID, self::UUID, 1650), 1150, self::UUID],
            [RefundKey::cancellation(self::SITE_ID, self::UUID, 0), 1650, self::UUID],
        ], array_map(static function ($r) { return [$r['transaction_key'], $r['amount_cents'], $r['transaction_uuid']]; }, $this->gateway->callsTo('recordRefund')));
        $this->assertStringStartsWith('The payment was not captured yet: SogeCommerce cancelled this amount', $this->orderPage((int) $order->id)[1]['message']);
    }

    public function testACashOrderAsksNothingOfTheGatewayAndRecordsNothing(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $this->runController('validation', [], ['method' => 'cash_on_delivery', 'token' => \Tools::getToken(false)], 'POST');
        $order = $this->backOffice(new \Order((int) \Order::getIdByCartId((int) $cart->id)));
        $this->setState($order, 'PS_OS_PAYMENT');
        \OrderSlipCreator::create(new \Order((int) $order->id), [10 => ['unit_price' => 11.50, 'quantity' => 1]]);
        $this->setState($order, 'PS_OS_CANCELED');

        $this->assertSame([], $this->gateway->callsTo('cancelOrRefund'));
        $this->assertSame([], $this->gateway->callsTo('recordRefund'));
        $this->assertSame([], $this->ledger((int) $order->id));
        $this->assertSame([], $this->orderPage((int) $order->id));
    }

    public function testWithoutTheRestPasswordNothingIsAskedAndTheMerchantIsToldWhy(): void
    {
        $this->configure([Keys::REST_PASSWORD_TEST => '']);
        $order = $this->cardOrder();
        \OrderSlipCreator::create($order, [10 => ['unit_price' => 11.50, 'quantity' => 1]]);

        $this->assertSame([], $this->gateway->callsTo('cancelOrRefund'));
        $this->assertSame([], $this->gateway->callsTo('recordRefund'));
        $row = $this->orderPage((int) $order->id)[0];
        $this->assertTrue($row['warning']);
        $this->assertSame('Nothing asked of SogeCommerce: the REST password of the current mode is not set (Modules > OC Pizza payments > Configure). Refund the customer from SogeCommerce\'s back office.', $row['message']);
    }

    public function testARefundConfirmedWhileOCPizzaDbIsDownIsRecordedByTheCron(): void
    {
        $order = $this->cardOrder();
        $this->gateway->failNext['recordRefund'] = new \OCPizza\DbException('OCPizza_DB unreachable');
        \OrderSlipCreator::create($order, [10 => ['unit_price' => 11.50, 'quantity' => 1]]);
        $this->assertSame('confirmed', $this->ledger((int) $order->id)[0]['state']);
        $this->assertSame('Given back by SogeCommerce; not yet recorded in OCPizza_DB (retried automatically).', $this->orderPage((int) $order->id)[0]['message']);

        $this->runController('cron', ['token' => $this->module->settings()->cronToken()]);
        $this->assertSame('recorded', $this->ledger((int) $order->id)[0]['state']);
        $this->assertCount(1, $this->gateway->callsTo('cancelOrRefund'), 'the gateway is never asked again');
        // The failed call never reached the double's journal: the cron's is the one OCPizza_DB took, under the key
        // the gateway's answer gave (the same the IPN builds from the CREDIT notification).
        $this->assertSame([$this->ledger((int) $order->id)[0]['transaction_key']], array_column($this->gateway->callsTo('recordRefund'), 'transaction_key'));
        $this->assertSame(RefundKey::refund(self::SITE_ID, sprintf('%032x', 0xc0ffee0001)), $this->ledger((int) $order->id)[0]['transaction_key']);
    }

    public function testAStateChangeWithoutAnEmployeeAsksNothing(): void
    {
        // The IPN sets Refunded itself when the gateway notifies a refund made in its own back office.
        $order = $this->cardOrder();
        \Context::getContext()->employee = null;
        $this->setState($order, 'PS_OS_REFUND');

        $this->assertSame([], $this->gateway->callsTo('cancelOrRefund'));
        $this->assertSame([], $this->ledger((int) $order->id));
    }
}
