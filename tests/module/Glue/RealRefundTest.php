<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Refund\RefundKey;
use OCPizzaModule\Tests\GlueTestCase;

/**
 * A back-office refund through the REAL extension: SogeCommerce::cancelOrRefund over loopback to the REST stand-in
 * (the fake-sogecommerce binary, tests/src/sogecommerce.rs), then Store::recordRefund on a real OCPizza_DB, where the
 * refund row and its order.refunded event must show.
 */
final class RealRefundTest extends GlueTestCase
{
    private const UUID = '0b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c';

    /** @var resource|null */
    private $fake;
    /** @var string the stand-in's REST API base URL */
    private $api = '';

    protected function setUp(): void
    {
        parent::setUp();
        self::requireExtension();
        $bin = getenv('OCPIZZA_FAKE_SOGECOMMERCE_BIN') ?: dirname(__DIR__, 3) . '/target/debug/fake-sogecommerce';
        if (!is_executable($bin)) {
            $this->markTestSkipped('needs target/debug/fake-sogecommerce (cargo build -p ocpizza-e2e --bin fake-sogecommerce)');
        }
        $this->useRealOcpizzaDb('ocpizza_module_refund');
        $cmd = [$bin, '--shop-id', self::SITE_ID, '--password', self::REST_PASSWORD, '--transaction', self::UUID . ':2800:EUR:captured'];
        $this->fake = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
        $this->assertIsResource($this->fake);
        // The first line says where it listens (a free port chosen by the system).
        $line = (string) fgets($pipes[1]);
        $this->assertSame(1, preg_match('#^listening on (http://127\.0\.0\.1:\d+/api-payment/)$#', trim($line), $m), $line);
        $this->api = $m[1];
        $this->configure([Keys::REST_URL => $this->api, Keys::REST_PASSWORD_TEST => self::REST_PASSWORD, Keys::DB_URL => $this->ocpUrl]);
        \Db::getInstance()->insert('employee', ['id_employee' => 1, 'firstname' => 'Lucie', 'lastname' => 'Garnier']);
    }

    protected function tearDown(): void
    {
        if (is_resource($this->fake)) {
            proc_terminate($this->fake);
            proc_close($this->fake);
        }
        $this->dropRealOcpizzaDb();
    }

    /** @return array what the stand-in received and the state of its transactions */
    private function fakeState(): array
    {
        return json_decode((string) file_get_contents(str_replace('/api-payment/', '/_test/requests', $this->api)), true);
    }

    public function testASlipThenACancellationAreRefundedByTheGatewayAndRecordedInOCPizzaDb(): void
    {
        // The paid order as the IPN leaves it: created by validateOrder with the payment's transaction uuid on its
        // OrderPayment, recorded in OCPizza_DB with its paid payment (IpnProcessor::recordPayment's array).
        $cart = $this->makeCart([1 => 2, 3 => 1]); // 28.00
        $this->module->links()->rememberPaymentMethod((int) $cart->id, 'card_online');
        $this->module->validateOrder((int) $cart->id, (int) \Configuration::get('PS_OS_PAYMENT'), 28.00, 'Card (SogeCommerce)', null,
            ['transaction_id' => self::UUID], 1, false, $cart->secure_key);
        $orderId = (int) $this->module->currentOrder;
        $this->module->gateway()->recordPayment(['shop_order_id' => $orderId, 'provider' => 'sogecommerce', 'transaction_key' => 'sc:' . self::SITE_ID . ':pay:' . self::UUID,
            'amount_cents' => 2800, 'currency' => 'EUR', 'status' => 'paid', 'raw_status' => 'CAPTURED', 'transaction_uuid' => self::UUID]);

        \Context::getContext()->employee = new \Employee(1);
        \OrderSlipCreator::create(new \Order($orderId), [10 => ['unit_price' => 11.50, 'quantity' => 1]]);
        $h = new \OrderHistory();
        $h->id_order = $orderId;
        $h->changeIdOrderState((int) \Configuration::get('PS_OS_CANCELED'), new \Order($orderId));
        $h->addWithemail();
        // A second click on "Cancelled" and the slip's hook again: nothing more reaches the gateway.
        $h->changeIdOrderState((int) \Configuration::get('PS_OS_CANCELED'), new \Order($orderId));
        \Hook::exec('actionOrderSlipAdd', ['order' => new \Order($orderId), 'productList' => [], 'qtyList' => []]);

        $fake = $this->fakeState();
        $this->assertSame([
            ['uuid' => self::UUID, 'amount' => 1150, 'currency' => 'EUR'],
            ['uuid' => self::UUID, 'amount' => 1650, 'currency' => 'EUR'],
        ], array_map(static function ($r) { return ['uuid' => $r['uuid'], 'amount' => $r['amount'], 'currency' => $r['currency']]; }, $fake['requests']));
        $this->assertSame(2800, $fake['transactions'][self::UUID]['refunded']);

        $rows = $this->ocp->query('SELECT r.transaction_key, r.amount_cents, r.currency, r.source, r.requested_by, r.transaction_uuid FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN orders o ON o.id = p.order_id WHERE o.shop_order_id = ' . $orderId . ' ORDER BY r.id')->fetchAll(\PDO::FETCH_NUM);
        $credits = [sprintf('%032x', 0xc0ffee0001), sprintf('%032x', 0xc0ffee0002)];
        $this->assertSame([
            [RefundKey::refund(self::SITE_ID, $credits[0]), '1150', 'EUR', 'shop', 'employee 1 Lucie Garnier', $credits[0]],
            [RefundKey::refund(self::SITE_ID, $credits[1]), '1650', 'EUR', 'shop', 'employee 1 Lucie Garnier', $credits[1]],
        ], array_map(static function ($r) { $r[1] = (string) $r[1]; return $r; }, $rows));
        $this->assertSame(2, (int) $this->ocp->query("SELECT COUNT(*) FROM outbox WHERE event_type = 'order.refunded' AND shop_order_id = " . $orderId)->fetchColumn());
        $this->assertSame(['recorded', 'recorded'], array_column(\Db::getInstance()->executeS('SELECT state FROM ps_ocpizza_refund WHERE id_order = ' . $orderId . ' ORDER BY id_ocpizza_refund'), 'state'));
    }

    /**
     * The whole chain on one order: paid through the IPN (which puts the payment's uuid on the OrderPayment), refunded
     * by an employee moving it to Refunded (the gateway's REST API is asked with that uuid), then the gateway's own
     * CREDIT notification of the same refund reaches the IPN: one refund row, one event, whichever came first.
     */
    public function testAnOrderPaidThroughTheIpnIsRefundedFromTheBackOfficeAndItsCreditNotificationIsNotCountedTwice(): void
    {
        $cart = $this->makeCart([1 => 2, 3 => 1]); // 28.00
        $this->module->links()->rememberPaymentMethod((int) $cart->id, 'card_online');
        [$body] = $this->runController('ipn', [], self::signedNotification(['vads_order_id' => (string) $cart->id, 'vads_amount' => '2800',
            'vads_trans_status' => 'CAPTURED', 'vads_trans_uuid' => self::UUID]), 'POST');
        $this->assertStringStartsWith('OK-Order', $body);
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertSame(self::UUID, (string) \Db::getInstance()->getValue('SELECT transaction_id FROM ps_order_payment ORDER BY id_order_payment DESC', false));

        \Context::getContext()->employee = new \Employee(1);
        $h = new \OrderHistory();
        $h->id_order = $orderId;
        $h->changeIdOrderState((int) \Configuration::get('PS_OS_REFUND'), new \Order($orderId));
        $h->addWithemail();
        $fake = $this->fakeState();
        $this->assertSame([[self::UUID, 2800]], array_map(static function ($r) { return [$r['uuid'], $r['amount']]; }, $fake['requests']));

        $credit = sprintf('%032x', 0xc0ffee0001);
        \Context::getContext()->employee = null;
        [$body] = $this->runController('ipn', [], self::signedNotification(['vads_order_id' => (string) $cart->id, 'vads_amount' => '2800',
            'vads_trans_status' => 'CAPTURED', 'vads_operation_type' => 'CREDIT', 'vads_trans_id' => '123457', 'vads_trans_uuid' => $credit,
            'vads_url_check_src' => 'MERCH_BO']), 'POST');
        $this->assertSame('OK-Refund already registered', $body);
        $rows = $this->ocp->query('SELECT CONVERT(r.transaction_key USING utf8mb4), r.amount_cents, r.source FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN orders o ON o.id = p.order_id WHERE o.shop_order_id = ' . $orderId)->fetchAll(\PDO::FETCH_NUM);
        $this->assertSame([[RefundKey::refund(self::SITE_ID, $credit), '2800', 'shop']], array_map(static function ($r) { $r[1] = (string) $r[1]; return $r; }, $rows));
        $this->assertSame(1, (int) $this->ocp->query("SELECT COUNT(*) FROM outbox WHERE event_type = 'order.refunded' AND shop_order_id = " . $orderId)->fetchColumn());
        $this->assertSame((int) \Configuration::get('PS_OS_REFUND'), $this->stateOf($orderId));
        $this->assertCount(1, $this->fakeState()['requests'], 'the notification asked the gateway nothing');
    }

    public function testAWrongRestPasswordIsARefusalShownOnTheOrderPage(): void
    {
        $this->configure([Keys::REST_PASSWORD_TEST => 'testpassword_NotTheOneOfTheShop0', Keys::DB_URL => $this->ocpUrl]);
        $cart = $this->makeCart([1 => 1]);
        $this->module->links()->rememberPaymentMethod((int) $cart->id, 'card_online');
        $this->module->validateOrder((int) $cart->id, (int) \Configuration::get('PS_OS_PAYMENT'), $cart->getOrderTotal(), 'Card (SogeCommerce)', null,
            ['transaction_id' => self::UUID], 1, false, $cart->secure_key);
        $orderId = (int) $this->module->currentOrder;
        \Context::getContext()->employee = new \Employee(1);
        \Context::getContext()->language = new \Language(2);
        \OrderSlipCreator::create(new \Order($orderId), [10 => ['unit_price' => 11.50, 'quantity' => 1]]);

        $row = \Db::getInstance()->getRow('SELECT state, error_code, message FROM ps_ocpizza_refund WHERE id_order = ' . $orderId);
        $this->assertSame(['refused', 'STANDIN_AUTH'], [$row['state'], $row['error_code']]);
        $this->assertStringNotContainsString('NotTheOneOfTheShop', (string) $row['message'], 'no secret in what is kept or shown');
        $this->module->hookDisplayAdminOrderMain(['id_order' => $orderId]);
        $this->assertStringStartsWith('Refused by SogeCommerce: ', \Context::getContext()->smarty->getTemplateVars('ocpizza_refunds')[0]['message']);
        $this->assertSame(0, (int) $this->ocp->query('SELECT COUNT(*) FROM refunds')->fetchColumn());
    }
}
