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
    /** @var \PDO */
    private $ocp;
    /** @var string */
    private $ocpName = '';

    protected function setUp(): void
    {
        parent::setUp();
        self::requireExtension();
        $bin = dirname(__DIR__, 3) . '/target/debug/ocpizza-bridge';
        if (!is_executable($bin)) {
            $this->markTestSkipped('needs target/debug/ocpizza-bridge (cargo build -p ocpizza-bridge)');
        }
        $s = \StandInDatabase::server();
        $this->ocpName = 'ocpizza_module_store_' . getmypid();
        $this->ocp = new \PDO($s['dsn'], $s['user'], $s['password'], [\PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION]);
        $this->ocp->exec('DROP DATABASE IF EXISTS `' . $this->ocpName . '`');
        $this->ocp->exec('CREATE DATABASE `' . $this->ocpName . '`');
        $p = parse_url(getenv('OCPIZZA_TEST_DATABASE_SERVER') ?: 'mysql://root@127.0.0.1:3306');
        $url = sprintf('mysql://%s%s@%s:%d/%s', rawurlencode($s['user']), $s['password'] !== '' ? ':' . rawurlencode($s['password']) : '', $p['host'] ?? '127.0.0.1', (int) ($p['port'] ?? 3306), $this->ocpName);
        exec('OCPIZZA_DATABASE_URL=' . escapeshellarg($url) . ' ' . escapeshellarg($bin) . ' migrate 2>&1', $out, $code);
        $this->assertSame(0, $code, implode("\n", $out));
        $this->ocp->exec('USE `' . $this->ocpName . '`');
        $this->ocp->exec("INSERT INTO restaurants (code, name, address_line1, postcode, city, phone) VALUES ('BELLECOUR', 'OC Pizza Bellecour', '1 place Bellecour', '69002', 'Lyon', '04 78 00 00 01')");
        $this->ocp->exec("INSERT INTO restaurant_delivery_postcodes (postcode, restaurant_id) VALUES ('69002', LAST_INSERT_ID())");
        $this->ocp->exec("INSERT INTO products (sku, name, kind, price_cents, vat_rate) VALUES ('PIZZA-MARGHERITA', 'Pizza Margherita', 'pizza', 1150, 10), ('DRINK-COLA-33', 'Cola 33 cl', 'drink', 250, 5.5)");
        // The module's real gateway (no double): created from the configured URL on first use.
        $this->configure([Keys::DB_URL => $url]);
        \Module::resetInstances();
        $this->module = \Module::getInstanceByName('ocpizza');
    }

    protected function tearDown(): void
    {
        if ($this->ocpName !== '') {
            $this->ocp->exec('DROP DATABASE IF EXISTS `' . $this->ocpName . '`');
        }
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
        $this->runController('validation', ['method' => 'cash_on_delivery']);
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
}
