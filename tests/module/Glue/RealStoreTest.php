<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Tests\GlueTestCase;

/**
 * The module with its REAL gateway (the extension's Store) on a real OCPizza_DB migrated by the project's binary:
 * the arrays the module builds are the ones the Store accepts, and each step lands in OCPizza_DB.
 */
final class RealStoreTest extends GlueTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        $this->useRealOcpizzaDb('ocpizza_module_store');
    }

    protected function tearDown(): void
    {
        $this->dropRealOcpizzaDb();
    }

    public function testPaidCardOrderAndCashOrderLandInOCPizzaDb(): void
    {
        $this->assertInstanceOf(\OCPizzaModule\Adapter\OcpizzaExtensionGateway::class, $this->module->gateway());
        $cart = $this->makeCart([1 => 2, 3 => 1]); // 28.00 with delivery
        $this->assertSame([], $this->module->cartProblems($cart), 'routed to BELLECOUR, everything available (no recipes: always makeable)');
        $fields = self::signedNotification(['vads_order_id' => (string) $cart->id, 'vads_amount' => '2800', 'vads_trans_status' => 'CAPTURED']);
        [$body] = $this->runController('ipn', [], $fields, 'POST');
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertSame('OK-Order ' . $orderId . ' created', $body);
        $this->assertSame('OK-Already registered', $this->runController('ipn', [], $fields, 'POST')[0], 'replay');
        $this->assertSame('KO-Invalid signature', $this->runController('ipn', [], ['vads_url_check_src' => 'RETRY'] + $fields, 'POST')[0], 'a changed field breaks the signature');

        $row = $this->ocp->query('SELECT id, status, payment_method, fulfilment, total_cents, currency FROM orders WHERE shop_order_id = ' . $orderId)->fetch(\PDO::FETCH_ASSOC);
        $this->assertSame(['accepted', 'card_online', 'delivery', '2800', 'EUR'], [$row['status'], $row['payment_method'], $row['fulfilment'], (string) $row['total_cents'], $row['currency']]);
        $this->assertSame(['product', 'product', 'delivery'], $this->ocp->query('SELECT kind FROM order_lines WHERE order_id = ' . (int) $row['id'] . ' ORDER BY line_no')->fetchAll(\PDO::FETCH_COLUMN));
        $this->assertSame([['sogecommerce', 'paid', 2800, 'CAPTURED']], $this->ocp->query('SELECT provider, status, amount_cents, raw_status FROM payments WHERE order_id = ' . (int) $row['id'])->fetchAll(\PDO::FETCH_NUM));
        $this->assertSame(['order.created', 'order.status_changed', 'order.paid'], $this->ocp->query('SELECT event_type FROM outbox WHERE shop_order_id = ' . $orderId . ' ORDER BY id')->fetchAll(\PDO::FETCH_COLUMN));

        // Cash on delivery, through the kitchen to delivered: statuses walk the state machine, the cash is recorded.
        $cash = $this->makeCart([1 => 1]);
        $this->runController('validation', [], ['method' => 'cash_on_delivery', 'token' => \Tools::getToken(false)], 'POST');
        $cashOrder = (int) \Order::getIdByCartId((int) $cash->id);
        foreach ([\Configuration::get(Keys::OS_READY), \Configuration::get(Keys::OS_DELIVERING), \Configuration::get('PS_OS_DELIVERED')] as $state) {
            $h = new \OrderHistory();
            $h->id_order = $cashOrder;
            $h->changeIdOrderState((int) $state, new \Order($cashOrder));
            $h->addWithemail();
        }
        $id = (int) $this->ocp->query('SELECT id FROM orders WHERE shop_order_id = ' . $cashOrder)->fetchColumn();
        $this->assertSame(['received', 'accepted', 'in_preparation', 'ready', 'out_for_delivery', 'delivered'], $this->ocp->query('SELECT to_status FROM order_status_history WHERE order_id = ' . $id . ' ORDER BY seq')->fetchAll(\PDO::FETCH_COLUMN));
        $this->assertSame([['cash', 'paid', 1400]], $this->ocp->query('SELECT provider, status, amount_cents FROM payments WHERE order_id = ' . $id)->fetchAll(\PDO::FETCH_NUM));

        // The bridge is down (nothing on port 9): publishing costs a short timeout, loses nothing, is never thrown.
        $counts = $this->module->publishOutboxNow(100);
        $this->assertNotNull($counts);
        $this->assertSame(0, (int) $counts['published']);
        $this->assertSame(0, (int) $this->ocp->query('SELECT COUNT(*) FROM outbox WHERE published_at IS NOT NULL')->fetchColumn());
    }

    /**
     * Issue 10: OCPizza_DB already holds a different order under the id PrestaShop gives its next order (a seed's
     * fictitious order 6, or another shop's). The module must not link the real order to it: the Store refuses,
     * the order stays unlinked, the log says why, the status panel lists it with the reason, the cron does not
     * retry it, and the IPN of a card payment answers 200 KO- naming the field (not 500 forever).
     */
    public function testAShopOrderIdAlreadyUsedByAnotherOrderIsKeptUnlinkedLoggedAndListed(): void
    {
        \Db::getInstance()->execute('ALTER TABLE ps_orders AUTO_INCREMENT = 6');
        $store = new \OCPizza\Store((string) \Configuration::get(Keys::DB_URL));
        $other = $store->recordOrder([
            'shop_order_id' => 6, 'reference' => 'AZERTYUIO', 'restaurant' => 'BELLECOUR', 'placed_at' => '2026-11-28T20:01:30+01:00',
            'fulfilment' => 'takeaway', 'payment_method' => 'at_restaurant', 'currency' => 'EUR', 'total_cents' => 1150,
            'customer' => ['shop_customer_id' => 104, 'email' => 'jean-luc.roche@example.fr', 'first_name' => 'Jean-Luc', 'last_name' => 'Roche'],
            'lines' => [['sku' => 'PIZZA-MARGHERITA', 'name' => 'Pizza Margherita', 'quantity' => 1, 'unit_price_cents' => 1150, 'vat_rate' => '10.00']],
        ]);
        $this->assertTrue($other['created']);

        $cart = $this->makeCart([1 => 1]);
        $this->runController('validation', [], ['method' => 'cash_on_delivery', 'token' => \Tools::getToken(false)], 'POST');
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertSame(6, $orderId);
        $this->assertNull($this->module->links()->find($orderId), 'not linked to the other order 6');
        $this->assertSame('AZERTYUIO', $this->ocp->query('SELECT reference FROM orders WHERE shop_order_id = 6')->fetchColumn(), 'the other order is untouched');
        $log = (string) \Db::getInstance()->getValue("SELECT message FROM ps_log WHERE message LIKE 'ocpizza: Order 6 not sent%' ORDER BY id_log DESC", false);
        $this->assertStringContainsString('kept unlinked: shop_order_id: 6 is already recorded for a different order', $log);

        $this->module->getContent();
        $refused = \Context::getContext()->smarty->getTemplateVars('ocpizza_refused');
        $this->assertCount(1, $refused);
        $this->assertSame(6, $refused[0]['id_order']);
        $this->assertStringStartsWith('shop_order_id: 6 is already recorded for a different order (reference "AZERTYUIO", not "', $refused[0]['reason']);
        $this->assertStringContainsString('customer.shop_customer_id 104, not 1', $refused[0]['reason']);
        $status = array_column(\Context::getContext()->smarty->getTemplateVars('ocpizza_status'), null, 'name');
        $this->assertSame(['ok' => false, 'detail' => '1'], array_intersect_key($status['Commandes de la boutique non transmises aux restaurants'], ['ok' => 1, 'detail' => 1]));

        // The cron leaves it alone (a retry would be refused again).
        $this->assertSame([], $this->module->links()->unrecorded('ocpizza', [], 20));

        // A card order whose PrestaShop id is taken too (order 7): the IPN answers 200 KO- with the field.
        $this->ocp->exec("UPDATE orders SET shop_order_id = 7 WHERE shop_order_id = 6");
        $card = $this->makeCart([1 => 1]);
        $fields = self::signedNotification(['vads_order_id' => (string) $card->id, 'vads_amount' => '1400', 'vads_trans_status' => 'CAPTURED']);
        [$body] = $this->runController('ipn', [], $fields, 'POST');
        $this->assertStringStartsWith('KO-Order 7 not sent to the restaurants: shop_order_id: 7 is already recorded for a different order', $body);
        $this->assertSame(0, (int) $this->ocp->query('SELECT COUNT(*) FROM payments')->fetchColumn(), 'no payment on the other order');
    }
}
