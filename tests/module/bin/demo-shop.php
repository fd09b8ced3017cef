<?php
/**
 * A pretend shop for `make demo` and the end-to-end tests: the OC Pizza module's own code (controllers, hooks,
 * IPN processing) running on the PrestaShop STAND-IN (not PrestaShop) with the REAL extension and OCPizza_DB.
 * Every command prints one JSON line. Run with the extension loaded:
 *   php -d extension=$PWD/target/debug/libocpizza.so tests/module/bin/demo-shop.php <command> [args]
 * Environment: OCPIZZA_STANDIN_DB (stand-in database name, required), and for `setup`: OCPIZZA_DB_URL,
 * OCPIZZA_BRIDGE_URL, OCPIZZA_WEBHOOK_SECRET, optionally OCPIZZA_SITE_ID, OCPIZZA_KEY (TEST key),
 * OCPIZZA_TEST_DATABASE_SERVER (MariaDB server of the stand-in, default mysql://root@127.0.0.1:3306).
 *
 * Commands:
 *   setup                                  create the stand-in shop, install and configure the module
 *   cart <postcode|pickup:CODE> SKU:qty…   a customer's cart (delivery to a Lyon postcode, or takeaway)
 *   checkout-card <cart>                   the signed hosted-form fields the browser posts to SogeCommerce
 *   ipn <cart> <vads_trans_status> [amount]  the gateway's IPN, signed with the TEST key, through the IPN controller
 *   offline <cart> <card_on_delivery|cash_on_delivery|at_restaurant>
 *   state <order> <state config key>       e.g. OCPIZZA_OS_PREPARING, OCPIZZA_OS_READY, PS_OS_DELIVERED, PS_OS_CANCELED
 *   publish                                what the cron does: record what is missing, publish the outbox
 *   drop                                   drop the stand-in database
 */
if (PHP_SAPI !== 'cli') {
    exit;
}
require dirname(__DIR__) . '/bootstrap.php';
require dirname(__DIR__) . '/prestashop-standin/standin.php';

use OCPizzaModule\Config\Keys;

StandIn::$throwOnHalt = true;
$db = (string) getenv('OCPIZZA_STANDIN_DB');
if ($db === '' || preg_match('/^[A-Za-z0-9_]{1,64}$/', $db) !== 1) {
    fwrite(STDERR, "OCPIZZA_STANDIN_DB: required, letters, digits and _\n");
    exit(2);
}
const PRODUCTS = [
    'PIZZA-MARGHERITA' => ['Pizza Margherita', '9.90', '10'], 'PIZZA-REINE' => ['Pizza Reine', '11.90', '10'],
    'PIZZA-NAPOLITAINE' => ['Pizza Napolitaine', '11.50', '10'], 'PIZZA-SAVOYARDE' => ['Pizza Savoyarde', '13.90', '10'],
    'DRINK-COLA-33' => ['Cola 33 cl', '2.50', '5.5'], 'DESSERT-TIRAMISU' => ['Tiramisu', '4.90', '10'],
];
const PICKUP = ['BELLECOUR' => 2, 'CROIX-ROUSSE' => 3, 'PART-DIEU' => 4, 'VAISE' => 5, 'GERLAND' => 6];

function out(array $data): void
{
    echo json_encode($data, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
}

function module(): Ocpizza
{
    $_GET['module'] = 'ocpizza';

    return Module::getInstanceByName('ocpizza');
}

function run(string $name, array $get, array $post, string $method): array
{
    $_GET = $get + ['fc' => 'module', 'module' => 'ocpizza', 'controller' => $name];
    $_POST = $post;
    $_SERVER['REQUEST_METHOD'] = $method;
    require_once OCPIZZA_MODULE_DIR . '/controllers/front/' . $name . '.php';
    $class = 'Ocpizza' . ucfirst($name) . 'ModuleFrontController';
    $c = new $class();
    ob_start();
    $redirect = null;
    try {
        $c->run();
    } catch (StandInRedirect $r) {
        $redirect = $r->url;
    }

    return [(string) ob_get_clean(), $redirect, $c];
}

function useCart(int $cartId): Cart
{
    $cart = new Cart($cartId);
    if (!Validate::isLoadedObject($cart)) {
        fwrite(STDERR, "cart $cartId: not found\n");
        exit(2);
    }
    Context::getContext()->cart = $cart;
    Context::getContext()->customer = new Customer((int) $cart->id_customer);

    return $cart;
}

$cmd = $argv[1] ?? '';
if ($cmd === 'setup') {
    StandInDatabase::create($db);
    // The shop exists before the module is installed: PaymentModule::install() allows the carriers there are.
    $pdo = Db::getInstance();
    $pdo->insert('customer', ['id_customer' => 1, 'email' => 'camille.martin@example.org', 'firstname' => 'Camille', 'lastname' => 'Martin', 'secure_key' => md5('demo-customer')]);
    $pdo->insert('customer_group', ['id_customer' => 1, 'id_group' => 3]);
    $pdo->insert('carrier', ['id_carrier' => 1, 'id_reference' => 1, 'name' => 'Livraison OC Pizza']);
    foreach (PICKUP as $code => $id) {
        $pdo->insert('carrier', ['id_carrier' => $id, 'id_reference' => $id, 'name' => 'Retrait ' . $code]);
    }
    $i = 0;
    foreach (PRODUCTS as $sku => [$name, $price, $rate]) {
        $pdo->insert('product', ['id_product' => ++$i, 'reference' => $sku, 'name' => $name, 'price_wt' => $price, 'rate' => $rate]);
    }
    $m = module();
    if (!$m->install()) {
        fwrite(STDERR, "module install failed\n");
        exit(1);
    }
    foreach ([
        Keys::SITE_ID => getenv('OCPIZZA_SITE_ID') ?: '12345678', Keys::KEY_TEST => getenv('OCPIZZA_KEY') ?: '1122334455667788',
        Keys::MODE => 'TEST', Keys::DB_URL => (string) getenv('OCPIZZA_DB_URL'), Keys::BRIDGE_URL => (string) getenv('OCPIZZA_BRIDGE_URL'),
        Keys::WEBHOOK_SECRET => (string) getenv('OCPIZZA_WEBHOOK_SECRET'), Keys::PICKUP_CARRIERS => json_encode(array_flip(PICKUP)),
    ] as $k => $v) {
        Configuration::updateValue($k, $v);
    }
    out(['setup' => $db, 'module_id' => (int) $m->id, 'states' => [
        'OCPIZZA_OS_PREPARING' => (int) Configuration::get(Keys::OS_PREPARING), 'OCPIZZA_OS_READY' => (int) Configuration::get(Keys::OS_READY),
        'OCPIZZA_OS_DELIVERING' => (int) Configuration::get(Keys::OS_DELIVERING), 'PS_OS_DELIVERED' => 5, 'PS_OS_CANCELED' => 6]]);
    exit(0);
}
if ($cmd === 'drop') {
    StandInDatabase::drop($db);
    out(['dropped' => $db]);
    exit(0);
}

StandInDatabase::use($db);
try {
    switch ($cmd) {
        case 'cart':
            $where = (string) ($argv[2] ?? '');
            $pdo = Db::getInstance();
            $carrier = 1;
            $postcode = $where;
            if (strpos($where, 'pickup:') === 0) {
                $carrier = PICKUP[substr($where, 7)] ?? 0;
                $postcode = '69002';
            }
            $pdo->insert('address', ['id_customer' => 1, 'address1' => '12 rue de la République', 'postcode' => $postcode, 'city' => 'Lyon', 'id_country' => 8, 'phone_mobile' => '06 12 34 56 78']);
            $address = $pdo->Insert_ID();
            $pdo->insert('cart', ['id_customer' => 1, 'id_currency' => 1, 'id_address_delivery' => $address, 'id_carrier' => $carrier, 'id_lang' => 1, 'id_shop' => 1,
                'secure_key' => md5('demo-customer'), 'shipping_wt' => $carrier === 1 ? '2.50' : '0', 'shipping_rate' => '10']);
            $cartId = $pdo->Insert_ID();
            $ids = array_flip(array_keys(PRODUCTS));
            foreach (array_slice($argv, 3) as $line) {
                [$sku, $qty] = explode(':', $line) + [1 => '1'];
                $pdo->insert('cart_product', ['id_cart' => $cartId, 'id_product' => $ids[$sku] + 1, 'quantity' => (int) $qty]);
            }
            $cart = useCart($cartId);
            $problems = module()->cartProblems($cart);
            out(['cart_id' => $cartId, 'total' => number_format($cart->getOrderTotal(), 2, '.', ''), 'problems' => $problems]);
            break;
        case 'checkout-card':
            useCart((int) $argv[2]);
            // The checkout's payment form posts the option's inputs with the customer's static token.
            [, $redirect, $c] = run('redirect', [], ['token' => Tools::getToken(false)], 'POST');
            out(['action' => Context::getContext()->smarty->getTemplateVars('ocpizza_action'), 'fields' => Context::getContext()->smarty->getTemplateVars('ocpizza_fields'), 'template' => $c->template, 'redirect' => $redirect]);
            break;
        case 'ipn':
            $cart = useCart((int) $argv[2]);
            $transId = (string) Db::getInstance()->getValue('SELECT trans_id FROM ps_ocpizza_transaction WHERE id_cart = ' . (int) $cart->id . ' ORDER BY id_ocpizza_transaction DESC', false);
            $fields = [
                'vads_action_mode' => 'INTERACTIVE', 'vads_amount' => (string) ($argv[4] ?? (int) round($cart->getOrderTotal() * 100)), 'vads_ctx_mode' => 'TEST',
                'vads_currency' => '978', 'vads_order_id' => (string) $cart->id, 'vads_page_action' => 'PAYMENT', 'vads_payment_config' => 'SINGLE',
                'vads_site_id' => (string) Configuration::get(Keys::SITE_ID), 'vads_trans_date' => gmdate('YmdHis'), 'vads_trans_id' => $transId !== '' ? $transId : '000001',
                // Same cart, same event: same uuid (re-sends are recognised); another demo shop gets other uuids.
                'vads_trans_uuid' => md5('demo-' . $GLOBALS['db'] . '-' . $cart->id), 'vads_trans_status' => (string) $argv[3], 'vads_version' => 'V2',
                'vads_operation_type' => 'DEBIT', 'vads_result' => '00', 'vads_url_check_src' => 'PAY', 'vads_hash' => bin2hex(random_bytes(16)),
                'vads_sequence_number' => '1', 'vads_card_brand' => 'CB', 'vads_card_number' => '497010XXXXXX0055',
            ];
            ksort($fields);
            $fields['signature'] = \OCPizza\SogeCommerce::sign($fields, (string) Configuration::get(Keys::KEY_TEST), 'HMAC-SHA-256');
            [$body, , $c] = run('ipn', [], $fields, 'POST');
            out(['http_status' => $c->ipnResponse->httpStatus, 'body' => $body, 'order_id' => $c->ipnResponse->orderId]);
            break;
        case 'offline':
            $cart = useCart((int) $argv[2]);
            [, $redirect, $c] = run('validation', [], ['method' => (string) $argv[3], 'token' => Tools::getToken(false)], 'POST');
            out(['order_id' => (int) Order::getIdByCartId((int) $cart->id), 'redirect' => $redirect, 'problems' => Context::getContext()->smarty->getTemplateVars('ocpizza_problems')]);
            break;
        case 'state':
            $orderId = (int) $argv[2];
            $state = (int) Configuration::get((string) $argv[3]);
            $history = new OrderHistory();
            $history->id_order = $orderId;
            $history->changeIdOrderState($state, new Order($orderId));
            $history->addWithemail();
            out(['order_id' => $orderId, 'state' => $state, 'link' => module()->links()->find($orderId)]);
            break;
        case 'publish':
            out(['published' => module()->publishOutboxNow(100)]);
            break;
        default:
            fwrite(STDERR, "usage: see the header of this file\n");
            exit(2);
    }
} catch (StandInHalt $h) {
    out(['halted' => $h->getMessage()]);
    exit(1);
}
// The module publishes the outbox at the end of the request (shutdown function): the events reach the bridge now.
