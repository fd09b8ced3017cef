<?php
/**
 * A pretend shop for `make demo` and the end-to-end tests: the OC Pizza module's own code (controllers, hooks,
 * IPN processing) running on the PrestaShop STAND-IN (not PrestaShop) with the REAL extension and OCPizza_DB.
 * Every command prints one JSON line. Run with the extension loaded:
 *   php -d extension=$PWD/target/debug/libocpizza.so tests/module/bin/demo-shop.php <command> [args]
 * Environment: OCPIZZA_STANDIN_DB (stand-in database name, required), and for `setup`: OCPIZZA_DB_URL,
 * OCPIZZA_BRIDGE_URL, OCPIZZA_WEBHOOK_SECRET, optionally OCPIZZA_SITE_ID, OCPIZZA_KEY (TEST key),
 * OCPIZZA_TEST_DATABASE_SERVER (MariaDB server of the stand-in, default mysql://root@127.0.0.1:3306), and for
 * back-office refunds OCPIZZA_REST_URL and OCPIZZA_REST_PASSWORD (SogeCommerce's REST API, TEST password; a stand-in:
 * tests/src/sogecommerce.rs). A back-office employee, id 1 « Lucie Garnier », is created by `setup`.
 *
 * Commands:
 *   setup                                  create the stand-in shop, install and configure the module
 *   cart <postcode|pickup:CODE> SKU:qty…   a customer's cart (delivery to a Lyon postcode, or takeaway)
 *   checkout-card <cart>                   the signed hosted-form fields the browser posts to SogeCommerce
 *   ipn <cart> <vads_trans_status> [amount] [uuid]  the gateway's IPN (a DEBIT), signed with the TEST key, through
 *                                          the IPN controller; prints the vads_trans_uuid it used (default: one per
 *                                          shop database and cart, so a re-send is the same event)
 *   ipn-credit <cart> <credit uuid> <amount>  the gateway's CREDIT notification of a refund (vads_url_check_src
 *                                          MERCH_BO, as for an operation made in or answered by the gateway)
 *   offline <cart> <card_on_delivery|cash_on_delivery|at_restaurant>
 *   state <order> <state config key>       e.g. OCPIZZA_OS_PREPARING, OCPIZZA_OS_READY, PS_OS_DELIVERED, PS_OS_CANCELED
 *   refund <order> <PS_OS_REFUND|PS_OS_CANCELED>  employee 1 moves the order to that state in the back office (the
 *                                          module's refund hook asks the gateway); prints the order's ocpizza_refund rows
 *   show <order>                           the order's state (id and name) and its ocpizza_refund rows
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

/** A gateway notification for the cart (form API), signed with the TEST key; $fields override the defaults. */
function notification(Cart $cart, array $fields): array
{
    $transId = (string) Db::getInstance()->getValue('SELECT trans_id FROM ps_ocpizza_transaction WHERE id_cart = ' . (int) $cart->id . ' ORDER BY id_ocpizza_transaction DESC', false);
    $fields += [
        'vads_action_mode' => 'INTERACTIVE', 'vads_amount' => (string) (int) round($cart->getOrderTotal() * 100), 'vads_ctx_mode' => 'TEST',
        'vads_currency' => '978', 'vads_order_id' => (string) $cart->id, 'vads_page_action' => 'PAYMENT', 'vads_payment_config' => 'SINGLE',
        'vads_site_id' => (string) Configuration::get(Keys::SITE_ID), 'vads_trans_date' => gmdate('YmdHis'), 'vads_trans_id' => $transId !== '' ? $transId : '000001',
        // Same cart, same event: same uuid (re-sends are recognised); another demo shop gets other uuids.
        'vads_trans_uuid' => md5('demo-' . $GLOBALS['db'] . '-' . $cart->id), 'vads_version' => 'V2',
        'vads_operation_type' => 'DEBIT', 'vads_result' => '00', 'vads_url_check_src' => 'PAY', 'vads_hash' => bin2hex(random_bytes(16)),
        'vads_sequence_number' => '1', 'vads_card_brand' => 'CB', 'vads_card_number' => '497010XXXXXX0055',
    ];
    ksort($fields);
    $fields['signature'] = \OCPizza\SogeCommerce::sign($fields, (string) Configuration::get(Keys::KEY_TEST), 'HMAC-SHA-256');

    return $fields;
}

/** The order's back-office refund requests as the module's ledger holds them. */
function refundRows(int $orderId): array
{
    return array_map(static function (array $r) {
        return ['key' => $r['refund_key'], 'state' => $r['state'], 'amount_cents' => (int) $r['amount_cents'], 'currency' => $r['currency'],
            'payment_uuid' => $r['payment_uuid'], 'resolution' => $r['resolution'], 'answer_uuid' => $r['answer_uuid'],
            'transaction_key' => $r['transaction_key'], 'error_code' => $r['error_code'], 'message' => $r['message'], 'requested_by' => $r['requested_by']];
    }, Db::getInstance()->executeS('SELECT * FROM ps_ocpizza_refund WHERE id_order = ' . $orderId . ' ORDER BY id_ocpizza_refund'));
}

/** The order's current state: id and name in the shop's default language. */
function stateOf(int $orderId): array
{
    $id = (int) (new Order($orderId))->getCurrentState();
    $name = (new OrderState($id))->name;
    if (is_array($name)) {
        $name = $name[(int) Configuration::get('PS_LANG_DEFAULT')] ?? reset($name);
    }

    return ['state' => $id, 'state_name' => (string) $name];
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
    $pdo->insert('employee', ['id_employee' => 1, 'firstname' => 'Lucie', 'lastname' => 'Garnier']);
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
    ] + array_filter([Keys::REST_URL => (string) getenv('OCPIZZA_REST_URL'), Keys::REST_PASSWORD_TEST => (string) getenv('OCPIZZA_REST_PASSWORD')]) as $k => $v) {
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
            $fields = ['vads_trans_status' => (string) $argv[3]];
            if (isset($argv[4]) && $argv[4] !== '') {
                $fields['vads_amount'] = (string) $argv[4];
            }
            if (isset($argv[5])) {
                $fields['vads_trans_uuid'] = (string) $argv[5];
            }
            $fields = notification($cart, $fields);
            [$body, , $c] = run('ipn', [], $fields, 'POST');
            out(['http_status' => $c->ipnResponse->httpStatus, 'body' => $body, 'order_id' => $c->ipnResponse->orderId, 'trans_uuid' => $fields['vads_trans_uuid']]);
            break;
        case 'ipn-credit':
            $cart = useCart((int) $argv[2]);
            $credit = (string) ($argv[3] ?? '');
            // The gateway numbers the CREDIT as a transaction of its own (another vads_trans_id) under the order's id.
            $fields = notification($cart, ['vads_operation_type' => 'CREDIT', 'vads_trans_status' => 'CAPTURED', 'vads_trans_uuid' => $credit,
                'vads_amount' => (string) (int) ($argv[4] ?? 0), 'vads_trans_id' => strtolower(substr($credit, -6)), 'vads_url_check_src' => 'MERCH_BO']);
            Context::getContext()->employee = null;
            [$body, , $c] = run('ipn', [], $fields, 'POST');
            out(['http_status' => $c->ipnResponse->httpStatus, 'body' => $body, 'order_id' => $c->ipnResponse->orderId]);
            break;
        case 'refund':
            $orderId = (int) $argv[2];
            $key = (string) ($argv[3] ?? '');
            if (!in_array($key, ['PS_OS_REFUND', 'PS_OS_CANCELED'], true)) {
                fwrite(STDERR, "refund: the state is PS_OS_REFUND or PS_OS_CANCELED\n");
                exit(2);
            }
            // The back office: an employee is signed in, which is what tells the module's hook to ask the gateway.
            Context::getContext()->employee = new Employee(1);
            $history = new OrderHistory();
            $history->id_order = $orderId;
            $history->changeIdOrderState((int) Configuration::get($key), new Order($orderId));
            $history->addWithemail();
            out(['order_id' => $orderId] + stateOf($orderId) + ['refunds' => refundRows($orderId)]);
            break;
        case 'show':
            $orderId = (int) $argv[2];
            out(['order_id' => $orderId] + stateOf($orderId) + ['refunds' => refundRows($orderId)]);
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
