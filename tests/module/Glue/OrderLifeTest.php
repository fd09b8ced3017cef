<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Tests\GlueTestCase;
use OCPizzaModule\Tests\Support\JournalGateway;

/** Offline payments, status hooks and the mapping to OC Pizza statuses, outbox publishing, cron and CLI. */
final class OrderLifeTest extends GlueTestCase
{
    private function offlineOrder(string $method, int $carrier = self::CARRIER_DELIVERY): int
    {
        $cart = $this->makeCart([1 => 1, 2 => 1], $carrier);
        [, $redirect] = $this->runController('validation', [], ['method' => $method, 'token' => \Tools::getToken(false)], 'POST');
        $this->assertNotNull($redirect);
        $this->assertStringContainsString('controller=order-confirmation', $redirect);
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertStringContainsString('id_order=' . $orderId, $redirect);

        return $orderId;
    }

    private function setState(int $orderId, string $stateKey): void
    {
        $history = new \OrderHistory();
        $history->id_order = $orderId;
        $history->changeIdOrderState((int) \Configuration::get($stateKey), new \Order($orderId));
        $history->addWithemail();
    }

    public function testCashOnDeliveryOrderThroughTheKitchenToDelivered(): void
    {
        $orderId = $this->offlineOrder('cash_on_delivery');
        $this->assertSame((int) \Configuration::get(Keys::OS_AWAITING_OFFLINE), $this->stateOf($orderId));
        $order = JournalGateway::journalled('recordOrder')[0];
        $this->assertSame(['cash_on_delivery', 'delivery', 'BELLECOUR', 2790], [$order['payment_method'], $order['fulfilment'], $order['restaurant'], $order['total_cents']]);

        // The manager jumps from "awaiting" straight to "Prête": the kitchen steps are walked.
        $this->setState($orderId, Keys::OS_READY);
        $this->setState($orderId, Keys::OS_DELIVERING);
        $this->setState($orderId, 'PS_OS_DELIVERED');
        $this->assertSame(['accepted', 'in_preparation', 'ready', 'out_for_delivery', 'delivered'], array_column(JournalGateway::journalled('setStatus'), 'status'));
        $this->assertSame('delivered', $this->module->links()->find($orderId)['oc_status']);

        // PrestaShop's "Delivered" is a paid state: the cash was collected at the door.
        $payments = JournalGateway::journalled('recordPayment');
        $this->assertCount(1, $payments);
        // The merchant also sets "Payment accepted": same idempotency key (Store ignores it), status stays delivered.
        $this->setState($orderId, 'PS_OS_PAYMENT');
        $again = JournalGateway::journalled('recordPayment');
        $this->assertCount(2, $again);
        $this->assertSame($payments[0]['transaction_key'], $again[1]['transaction_key']);
        $this->assertSame(['cash', 'prestashop-order-' . $orderId . '-paid', 2790, 'EUR', 'paid'], [$payments[0]['provider'], $payments[0]['transaction_key'], $payments[0]['amount_cents'], $payments[0]['currency'], $payments[0]['status']]);
        $this->assertCount(5, JournalGateway::journalled('setStatus'), 'never back to accepted');
    }

    public function testTakeawayPaidAtTheRestaurantIsPickedUp(): void
    {
        $orderId = $this->offlineOrder('at_restaurant', self::CARRIER_PICKUP_BELLECOUR);
        $order = JournalGateway::journalled('recordOrder')[0];
        $this->assertSame(['at_restaurant', 'takeaway', 'BELLECOUR'], [$order['payment_method'], $order['fulfilment'], $order['restaurant']]);
        $this->assertArrayNotHasKey('delivery_address', $order);
        $this->setState($orderId, 'PS_OS_DELIVERED');
        $this->assertSame(['accepted', 'in_preparation', 'ready', 'picked_up'], array_column(JournalGateway::journalled('setStatus'), 'status'));
    }

    public function testCancellation(): void
    {
        $orderId = $this->offlineOrder('card_on_delivery');
        $this->setState($orderId, Keys::OS_PREPARING);
        $this->setState($orderId, 'PS_OS_CANCELED');
        $this->assertSame(['accepted', 'in_preparation', 'cancelled'], array_column(JournalGateway::journalled('setStatus'), 'status'));
        $this->setState($orderId, Keys::OS_READY);
        $this->assertCount(3, JournalGateway::journalled('setStatus'), 'a cancelled order stays cancelled');
    }

    public function testWrongOfflineMethodForTheFulfilmentIsRefused(): void
    {
        $cart = $this->makeCart([1 => 1], self::CARRIER_PICKUP_BELLECOUR);
        [, $redirect, $c] = $this->runController('validation', [], ['method' => 'cash_on_delivery', 'token' => \Tools::getToken(false)], 'POST');
        $this->assertNull($redirect);
        $this->assertSame('module:ocpizza/views/templates/front/unavailable.tpl', $c->template);
        $this->assertSame(['Le paiement à la livraison est réservé aux commandes livrées.'], \Context::getContext()->smarty->getTemplateVars('ocpizza_problems'));
        $this->assertSame(0, $this->orderCount((int) $cart->id));
        [, $redirect] = $this->runController('validation', [], ['method' => 'bitcoin', 'token' => \Tools::getToken(false)], 'POST');
        $this->assertStringContainsString('controller=order', (string) $redirect);
    }

    public function testDoubleClickOnOfflinePaymentCreatesOneOrder(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $this->runController('validation', [], ['method' => 'cash_on_delivery', 'token' => \Tools::getToken(false)], 'POST');
        [, $redirect] = $this->runController('validation', [], ['method' => 'cash_on_delivery', 'token' => \Tools::getToken(false)], 'POST');
        $this->assertStringContainsString('controller=order-confirmation', (string) $redirect);
        $this->assertSame(1, $this->orderCount((int) $cart->id));
    }

    public function testStoreFailureNeverBreaksTheOrderAndTheCronRecordsItLater(): void
    {
        $this->gateway->failAlways['recordOrder'] = new \OCPizza\DbException('OCPizza_DB: connection refused');
        $orderId = $this->offlineOrder('cash_on_delivery');
        $this->assertSame((int) \Configuration::get(Keys::OS_AWAITING_OFFLINE), $this->stateOf($orderId), 'the customer has an order');
        $this->assertNull($this->module->links()->find($orderId));
        unset($this->gateway->failAlways['recordOrder']);

        $token = (string) \Configuration::get(Keys::CRON_TOKEN);
        [$body, , $c] = $this->runController('cron', ['token' => $token]);
        $this->assertSame(200, $c->httpStatus);
        $this->assertSame(['published' => ['published' => 0, 'failed' => 0, 'pending' => 0]], json_decode($body, true));
        $this->assertNotNull($this->module->links()->find($orderId), 'recorded by the cron');
        $publish = JournalGateway::journalled('publishOutbox');
        $this->assertSame(['bridge' => 'http://127.0.0.1:9', 'max' => 100], array_diff_key($publish[count($publish) - 1], ['shop_order_id' => 1]));
    }

    public function testCronRefusesAWrongToken(): void
    {
        foreach ([['token' => 'wrong'], ['token' => ''], []] as $get) {
            [$body, , $c] = $this->runController('cron', $get);
            $this->assertSame(403, $c->httpStatus);
            $this->assertSame('{"error":"forbidden"}', $body);
        }
        $this->assertSame([], JournalGateway::journalled('publishOutbox'));
    }

    public function testPublishingIsDeferredToTheEndOfTheRequestAndFailuresAreSwallowed(): void
    {
        $this->gateway->failAlways['publishOutbox'] = new \OCPizza\DbException('bridge down');
        $this->offlineOrder('cash_on_delivery');
        $this->assertSame([], JournalGateway::journalled('publishOutbox'), 'nothing sent while the customer waits');
        $this->assertNull($this->module->flushOutbox(), 'failure logged, not thrown');
        $this->assertStringContainsString('Outbox: publishing failed', (string) \Db::getInstance()->getValue("SELECT message FROM ps_log WHERE message LIKE '%Outbox%'", false));
        $this->assertStringNotContainsString('whsec_', implode(' ', array_column(\Db::getInstance()->executeS('SELECT message FROM ps_log'), 'message')));
        unset($this->gateway->failAlways['publishOutbox']);
        $this->assertNull($this->module->flushOutbox(), 'already flushed');
    }

    public function testCliScriptPublishes(): void
    {
        $root = sys_get_temp_dir() . '/ocpizza-ps-root-' . getmypid();
        @mkdir($root . '/config', 0777, true);
        file_put_contents($root . '/config/config.inc.php', '<?php require ' . var_export(dirname(__DIR__) . '/bin/child-bootstrap.php', true) . ';');
        $env = ['PS_ROOT_DIR' => $root, 'OCPIZZA_STANDIN_DB' => self::databaseName(), 'PATH' => (string) getenv('PATH')];
        $proc = proc_open([PHP_BINARY, OCPIZZA_MODULE_DIR . '/bin/publish-outbox.php', '7'], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        $code = proc_close($proc);
        $this->assertSame(0, $code, $err);
        $this->assertSame('{"published":0,"failed":0,"pending":0}' . "\n", $out);
        $publish = JournalGateway::journalled('publishOutbox');
        $this->assertSame(7, $publish[count($publish) - 1]['max']);
    }
}
