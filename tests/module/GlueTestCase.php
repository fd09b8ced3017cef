<?php
/**
 * Base of the tests of the module's PrestaShop glue: loads the PrestaShop STAND-IN (not PrestaShop), gives each
 * test a freshly created stand-in database on the local MariaDB, installs the module, and builds carts.
 */

namespace OCPizzaModule\Tests;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Tests\Support\JournalGateway;
use PHPUnit\Framework\TestCase;

abstract class GlueTestCase extends TestCase
{
    public const SITE_ID = '12345678';
    public const TEST_KEY = '1122334455667788';
    public const PROD_KEY = '9988776655443322';
    public const REST_PASSWORD = 'testpassword_SbEbeOueaMDyg8Rtei1bSaiB5lms9V0ZDjzldGXGAnIwH';
    public const CARRIER_DELIVERY = 1;
    public const CARRIER_PICKUP_BELLECOUR = 2;

    /** @var string|null one database per phpunit process, recreated for every test */
    private static $database;

    /** @var \Ocpizza */
    protected $module;
    /** @var JournalGateway */
    protected $gateway;

    /** @var \PDO|null the real OCPizza_DB of tests that use the real extension's Store (useRealOcpizzaDb) */
    protected $ocp;
    /** @var string */
    protected $ocpName = '';
    /** @var string its URL, as the module's configuration holds it */
    protected $ocpUrl = '';

    /**
     * A fresh OCPizza_DB migrated by the real bridge binary, with BELLECOUR (postcode 69002) and two products, and the
     * module configured to it (its real gateway, no double). Dropped by dropRealOcpizzaDb().
     */
    protected function useRealOcpizzaDb(string $prefix): void
    {
        self::requireExtension();
        $bin = dirname(__DIR__, 2) . '/target/debug/ocpizza-bridge';
        if (!is_executable($bin)) {
            $this->markTestSkipped('needs target/debug/ocpizza-bridge (cargo build -p ocpizza-bridge)');
        }
        $s = \StandInDatabase::server();
        $this->ocpName = $prefix . '_' . getmypid();
        $this->ocp = new \PDO($s['dsn'], $s['user'], $s['password'], [\PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION]);
        $this->ocp->exec('DROP DATABASE IF EXISTS `' . $this->ocpName . '`');
        $this->ocp->exec('CREATE DATABASE `' . $this->ocpName . '`');
        $p = parse_url(getenv('OCPIZZA_TEST_DATABASE_SERVER') ?: 'mysql://root@127.0.0.1:3306');
        $this->ocpUrl = sprintf('mysql://%s%s@%s:%d/%s', rawurlencode($s['user']), $s['password'] !== '' ? ':' . rawurlencode($s['password']) : '', $p['host'] ?? '127.0.0.1', (int) ($p['port'] ?? 3306), $this->ocpName);
        exec('OCPIZZA_DATABASE_URL=' . escapeshellarg($this->ocpUrl) . ' ' . escapeshellarg($bin) . ' migrate 2>&1', $out, $code);
        $this->assertSame(0, $code, implode("\n", $out));
        $this->ocp->exec('USE `' . $this->ocpName . '`');
        $this->ocp->exec("INSERT INTO restaurants (code, name, address_line1, postcode, city, phone) VALUES ('BELLECOUR', 'OC Pizza Bellecour', '1 place Bellecour', '69002', 'Lyon', '04 78 00 00 01')");
        $this->ocp->exec("INSERT INTO restaurant_delivery_postcodes (postcode, restaurant_id) VALUES ('69002', LAST_INSERT_ID())");
        $this->ocp->exec("INSERT INTO products (sku, name, kind, price_cents, vat_rate) VALUES ('PIZZA-MARGHERITA', 'Pizza Margherita', 'pizza', 1150, 10), ('DRINK-COLA-33', 'Cola 33 cl', 'drink', 250, 5.5)");
        $this->configure([Keys::DB_URL => $this->ocpUrl]);
        \Module::resetInstances();
        $this->module = \Module::getInstanceByName('ocpizza');
    }

    protected function dropRealOcpizzaDb(): void
    {
        if ($this->ocpName !== '') {
            $this->ocp->exec('DROP DATABASE IF EXISTS `' . $this->ocpName . '`');
        }
    }

    protected function setUp(): void
    {
        require_once __DIR__ . '/prestashop-standin/standin.php';
        if (self::$database === null) {
            self::$database = 'ocpizza_module_test_' . getmypid() . '_' . bin2hex(random_bytes(3));
            $name = self::$database;
            register_shutdown_function(static function () use ($name) {
                \StandInDatabase::drop($name);
            });
            \StandInDatabase::create(self::$database);
        } else {
            \StandInDatabase::reset(self::$database);
        }
        \Context::reset();
        \Module::resetInstances();
        $_GET = $_POST = [];
        $_SERVER['REQUEST_METHOD'] = 'GET';
        $_GET['module'] = 'ocpizza';
        $this->module = \Module::getInstanceByName('ocpizza');
        $this->gateway = JournalGateway::lyon();
        $this->module->setGateway($this->gateway);
        // The shop exists before the module is installed (carriers, countries, customers): PaymentModule::install()
        // allows the carriers that exist then.
        $this->fixtures();
        $this->assertTrue($this->module->install(), 'module install');
        $this->configure();
    }

    protected static function databaseName(): string
    {
        return (string) self::$database;
    }

    protected function configure(array $overrides = []): void
    {
        $values = $overrides + [
            Keys::SITE_ID => self::SITE_ID,
            Keys::KEY_TEST => self::TEST_KEY,
            Keys::KEY_PRODUCTION => self::PROD_KEY,
            Keys::MODE => 'TEST',
            Keys::DB_URL => 'mysql://ocpizza@127.0.0.1:3306/ocpizza',
            Keys::BRIDGE_URL => 'http://127.0.0.1:9',
            Keys::WEBHOOK_SECRET => 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
            Keys::PICKUP_CARRIERS => json_encode([self::CARRIER_PICKUP_BELLECOUR => 'BELLECOUR']),
        ];
        foreach ($values as $k => $v) {
            \Configuration::updateValue($k, $v);
        }
    }

    private function fixtures(): void
    {
        $db = \Db::getInstance();
        $db->insert('customer', ['id_customer' => 1, 'email' => 'camille.martin@example.org', 'firstname' => 'Camille', 'lastname' => 'Martin', 'secure_key' => str_repeat('a', 32)]);
        $db->insert('address', ['id_address' => 1, 'id_customer' => 1, 'address1' => '12 rue de la République', 'address2' => '3e étage', 'postcode' => '69002', 'city' => 'Lyon', 'id_country' => 8, 'phone_mobile' => '06 12 34 56 78']);
        $db->insert('address', ['id_address' => 2, 'id_customer' => 1, 'address1' => '1 place de la Comédie', 'postcode' => '75001', 'city' => 'Paris', 'id_country' => 8]);
        $db->insert('customer_group', ['id_customer' => 1, 'id_group' => 3]);
        $db->insert('carrier', ['id_carrier' => self::CARRIER_DELIVERY, 'id_reference' => self::CARRIER_DELIVERY, 'name' => 'Livraison OC Pizza']);
        $db->insert('carrier', ['id_carrier' => self::CARRIER_PICKUP_BELLECOUR, 'id_reference' => self::CARRIER_PICKUP_BELLECOUR, 'name' => 'Retrait Bellecour']);
        $db->insert('product', ['id_product' => 1, 'reference' => 'PIZZA-MARGHERITA', 'name' => 'Pizza Margherita', 'price_wt' => '11.50', 'rate' => '10']);
        $db->insert('product', ['id_product' => 2, 'reference' => 'PIZZA-REINE', 'name' => 'Pizza Reine', 'price_wt' => '13.90', 'rate' => '10']);
        $db->insert('product', ['id_product' => 3, 'reference' => 'DRINK-COLA-33', 'name' => 'Cola 33 cl', 'price_wt' => '2.50', 'rate' => '5.5']);
    }

    /**
     * @param array<int, int> $products id_product => quantity
     */
    protected function makeCart(array $products, int $carrier = self::CARRIER_DELIVERY, int $address = 1, float $shipping = 2.50, array $rules = [], int $currency = 1): \Cart
    {
        $db = \Db::getInstance();
        $db->insert('cart', ['id_customer' => 1, 'id_currency' => $currency, 'id_address_delivery' => $address, 'id_carrier' => $carrier,
            'id_lang' => 1, 'id_shop' => 1, 'secure_key' => str_repeat('a', 32), 'shipping_wt' => $carrier === self::CARRIER_DELIVERY ? $shipping : 0, 'shipping_rate' => 10]);
        $id = $db->Insert_ID();
        foreach ($products as $p => $q) {
            $db->insert('cart_product', ['id_cart' => $id, 'id_product' => $p, 'quantity' => $q]);
        }
        foreach ($rules as $name => $value) {
            $db->insert('cart_cart_rule', ['id_cart' => $id, 'name' => $name, 'value_real' => $value]);
        }
        $cart = new \Cart($id);
        \Context::getContext()->cart = $cart;
        \Context::getContext()->customer = new \Customer(1);

        return $cart;
    }

    protected function orderCount(int $cartId): int
    {
        return (int) \Db::getInstance()->getValue('SELECT COUNT(*) FROM ps_orders WHERE id_cart = ' . $cartId, false);
    }

    protected function stateOf(int $orderId): int
    {
        return (int) \Db::getInstance()->getValue('SELECT current_state FROM ps_orders WHERE id_order = ' . $orderId, false);
    }

    protected static function requireExtension(): void
    {
        if (!\OCPizzaModule\Tests\Support\Extension::usable()) {
            self::markTestSkipped('needs the ocpizza extension: php -d extension=$PWD/target/debug/libocpizza.so /usr/bin/phpunit -c tests/module/phpunit.xml');
        }
    }

    /** A notification as the gateway posts it, signed with $key by the real extension. */
    protected static function signedNotification(array $fields, string $key = self::TEST_KEY): array
    {
        $fields += [
            'vads_action_mode' => 'INTERACTIVE', 'vads_ctx_mode' => 'TEST', 'vads_currency' => '978', 'vads_page_action' => 'PAYMENT',
            'vads_payment_config' => 'SINGLE', 'vads_site_id' => self::SITE_ID, 'vads_trans_date' => gmdate('YmdHis'),
            'vads_trans_id' => '123456', 'vads_trans_uuid' => str_repeat('ab12', 8), 'vads_version' => 'V2', 'vads_operation_type' => 'DEBIT',
            'vads_result' => '00', 'vads_url_check_src' => 'PAY', 'vads_hash' => bin2hex(random_bytes(16)), 'vads_sequence_number' => '1',
            'vads_effective_amount' => $fields['vads_amount'] ?? '', 'vads_card_brand' => 'CB', 'vads_card_number' => '497010XXXXXX0055',
        ];
        ksort($fields);
        $fields['signature'] = \OCPizza\SogeCommerce::sign($fields, $key, 'HMAC-SHA-256');

        return $fields;
    }

    /** A V4/Payment answer as the gateway sends it (reference §6), for the cart, with its first transaction. */
    protected static function restAnswer(\Cart $cart, array $tx = [], string $orderStatus = 'PAID'): array
    {
        return [
            'shopId' => self::SITE_ID, 'orderCycle' => 'CLOSED', 'orderStatus' => $orderStatus,
            'orderDetails' => ['orderTotalAmount' => 1400, 'orderCurrency' => 'EUR', 'mode' => 'TEST', 'orderId' => (string) $cart->id],
            'customer' => ['email' => 'camille.martin@example.org', 'reference' => '1/a'],
            'transactions' => [$tx + [
                'uuid' => 'ab12ab12ab12ab12ab12ab12ab12ab12', 'amount' => 1400, 'currency' => 'EUR', 'status' => 'PAID',
                'detailedStatus' => 'CAPTURED', 'operationType' => 'DEBIT', 'creationDate' => gmdate('Y-m-d\TH:i:s+00:00'),
                'transactionDetails' => ['sequenceNumber' => 1, 'cardDetails' => ['legacyTransId' => '000042']],
            ]],
            '_type' => 'V4/Payment',
        ];
    }

    /** The REST IPN's POST: kr-hash with PHP's own hash_hmac over the exact string posted (json_encode keeps "\/"). */
    protected static function restPost(array $answer, string $password = self::REST_PASSWORD): array
    {
        $raw = (string) json_encode($answer);

        return ['kr-hash' => hash_hmac('sha256', $raw, $password), 'kr-hash-algorithm' => 'sha256_hmac', 'kr-hash-key' => 'password',
            'kr-answer-type' => 'V4/Payment', 'kr-answer' => $raw];
    }

    /**
     * Test double of parseNotification for glue tests that are about PrestaShop, not signatures: `signature` must
     * be "valid-signature" and vads_ctx_mode the configured mode, else the extension's exceptions; the result has
     * the keys of issue 3. Tests with the real extension (signedNotification) cover the real verification.
     */
    protected function useParserDouble(): void
    {
        $this->gateway->parser = \OCPizzaModule\Tests\Support\ParserDouble::create();
    }

    /** Fields of a notification for the parser double. */
    protected static function notificationFields(\Cart $cart, string $status, array $over = []): array
    {
        return $over + [
            'vads_site_id' => self::SITE_ID, 'vads_ctx_mode' => 'TEST', 'vads_order_id' => (string) $cart->id,
            'vads_trans_id' => '000777', 'vads_trans_uuid' => 'uuid-' . $cart->id, 'vads_trans_status' => $status,
            'vads_amount' => (string) (int) round($cart->getOrderTotal() * 100), 'vads_currency' => '978',
            'vads_operation_type' => 'DEBIT', 'vads_url_check_src' => 'PAY', 'vads_hash' => 'h', 'signature' => 'valid-signature',
        ];
    }

    /**
     * Runs a module front controller like PrestaShop's dispatcher (one new request: FrontController::$initialized
     * reset); returns [http body, redirect url or null, controller]. $headers sets $_SERVER entries (HTTP_ACCEPT…).
     */
    protected function runController(string $name, array $get = [], array $post = [], string $method = 'GET', array $headers = []): array
    {
        $_GET = $get + ['fc' => 'module', 'module' => 'ocpizza', 'controller' => $name];
        $_POST = $post;
        $_SERVER['REQUEST_METHOD'] = $method;
        unset($_SERVER['HTTP_ACCEPT']);
        foreach ($headers as $k => $v) {
            $_SERVER[$k] = $v;
        }
        \FrontController::$initialized = false;
        require_once OCPIZZA_MODULE_DIR . '/controllers/front/' . $name . '.php';
        $class = 'Ocpizza' . ucfirst($name) . 'ModuleFrontController';
        $level = ob_get_level();
        ob_start();
        $controller = null;
        try {
            $controller = new $class();
            if (property_exists($controller, 'pollAttempts')) {
                $controller->pollAttempts = 2;
                $controller->pollDelayMicros = 1000;
            }
            $controller->run();
            $redirect = null;
        } catch (\StandInRedirect $r) {
            $redirect = $r->url;
        } finally {
            // FrontController::init() opened its own buffer, as PrestaShop does: collect every level.
            $parts = [];
            while (ob_get_level() > $level) {
                array_unshift($parts, (string) ob_get_clean());
            }
            $body = implode('', $parts);
            unset($_SERVER['HTTP_ACCEPT']);
        }

        return [$body, $redirect, $controller];
    }
}
