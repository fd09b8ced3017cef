<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Tests\GlueTestCase;

/**
 * Issue 12, no loop: the restaurant moved the order and took the cash in OCPizza_DB (what the bridge's staff API
 * writes); the bridge's `prestashop` destination then posts the matching state through the Webservice, whose
 * path (OrderHistory::addWs = changeIdOrderState() then add()) fires the module's actionOrderStatusPostUpdate.
 * Through the module and the REAL extension on a real OCPizza_DB, nothing more is written: no status, no
 * history row, no payment, no event.
 */
final class StaffNoLoopTest extends GlueTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        $this->useRealOcpizzaDb('ocpizza_module_noloop');
    }

    protected function tearDown(): void
    {
        $this->dropRealOcpizzaDb();
    }

    /** @return array<string, mixed> what a write would change */
    private function snapshot(int $shopOrderId): array
    {
        $q = function (string $sql) { return $this->ocp->query($sql)->fetchAll(\PDO::FETCH_NUM); };

        return [
            'status' => $q('SELECT status FROM orders WHERE shop_order_id = ' . $shopOrderId),
            'history' => $q('SELECT h.seq, h.to_status FROM order_status_history h JOIN orders o ON o.id = h.order_id WHERE o.shop_order_id = ' . $shopOrderId . ' ORDER BY h.seq'),
            'payments' => $q('SELECT p.id, p.provider, p.transaction_key FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.shop_order_id = ' . $shopOrderId),
            'outbox' => $q('SELECT id, event_type FROM outbox WHERE shop_order_id = ' . $shopOrderId . ' ORDER BY id'),
        ];
    }

    /** @return string[] what the module logged at `$severity` or above after log entry `$after` */
    private function logged(int $after, int $severity): array
    {
        return array_column(\Db::getInstance()->executeS('SELECT message FROM ps_log WHERE id_log > ' . $after . ' AND severity >= ' . $severity . " AND message LIKE 'ocpizza:%' ORDER BY id_log"), 'message');
    }

    private function lastLogId(): int
    {
        return (int) \Db::getInstance()->getValue('SELECT COALESCE(MAX(id_log), 0) FROM ps_log', false);
    }

    /** What the Webservice's POST order_histories does (OrderHistory::addWs without sendemail). */
    private function webservicePost(int $orderId, int $stateId): void
    {
        $h = new \OrderHistory();
        $h->id_order = $orderId;
        $h->changeIdOrderState($stateId, $orderId);
        $h->add();
    }

    public function testStatesPostedBackByTheBridgeWriteNothingInOcpizzaDb(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $this->runController('validation', [], ['method' => 'cash_on_delivery', 'token' => \Tools::getToken(false)], 'POST');
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertSame('accepted', $this->ocp->query('SELECT status FROM orders WHERE shop_order_id = ' . $orderId)->fetchColumn());

        // The restaurant, through the staff API: kitchen, driver, cash at the door, delivered.
        $store = new \OCPizza\Store($this->ocpUrl);
        foreach (['in_preparation', 'ready', 'out_for_delivery'] as $status) {
            $this->assertTrue($store->setStatus($orderId, $status));
        }
        $total = (int) $this->ocp->query('SELECT total_cents FROM orders WHERE shop_order_id = ' . $orderId)->fetchColumn();
        $paid = $store->recordPayment(['shop_order_id' => $orderId, 'provider' => 'cash', 'transaction_key' => 'staff:3:pay-1', 'amount_cents' => $total, 'currency' => 'EUR', 'status' => 'paid', 'raw_status' => 'collected']);
        $this->assertTrue($paid['created']);

        // The bridge posts "Shipped"… (PrestaShop's own state, not in the module's map): nothing.
        $mark = $this->lastLogId();
        $before = $this->snapshot($orderId);
        $this->webservicePost($orderId, (int) \Configuration::get('PS_OS_SHIPPING'));
        $this->assertSame($before, $this->snapshot($orderId));
        // …the module's "En livraison", which it maps to out_for_delivery, where OCPizza_DB already is: nothing.
        $this->webservicePost($orderId, (int) \Configuration::get(Keys::OS_DELIVERING));
        $this->assertSame($before, $this->snapshot($orderId));

        // Delivered in OCPizza_DB, then "Delivered" (a paid state) comes back: no status, no second payment.
        $this->assertTrue($store->setStatus($orderId, 'delivered'));
        $before = $this->snapshot($orderId);
        $this->webservicePost($orderId, (int) \Configuration::get('PS_OS_DELIVERED'));
        $this->assertSame($before, $this->snapshot($orderId));
        $this->assertCount(1, $before['payments']);
        $this->assertSame('staff:3:pay-1', $before['payments'][0][2]);

        // Quietly: no error for a state OCPizza_DB already has (it used to walk the module's stale link from
        // "accepted" and log the state machine's refusal), one info line saying so.
        $this->assertSame([], $this->logged($mark, 3));
        $info = implode("\n", $this->logged($mark, 1));
        $this->assertStringContainsString('state ' . (int) \Configuration::get(Keys::OS_DELIVERING) . ': OCPizza_DB is already out_for_delivery, nothing to write', $info);
    }

    public function testAStateBehindOcpizzaDbIsQuietToo(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $this->runController('validation', [], ['method' => 'cash_on_delivery', 'token' => \Tools::getToken(false)], 'POST');
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $store = new \OCPizza\Store($this->ocpUrl);
        foreach (['in_preparation', 'ready', 'out_for_delivery'] as $status) {
            $this->assertTrue($store->setStatus($orderId, $status));
        }
        $this->assertSame('out_for_delivery', $store->orderStatus($orderId));
        $this->assertNull($store->orderStatus(987654321));

        // The bridge is late: "ready" (relayed in order) arrives after the driver already left.
        $mark = $this->lastLogId();
        $before = $this->snapshot($orderId);
        $this->webservicePost($orderId, (int) \Configuration::get(Keys::OS_READY));
        $this->assertSame($before, $this->snapshot($orderId));
        $this->assertSame([], $this->logged($mark, 3));
    }
}
