<?php
// Child of ApiPropertyTest (a child process, so that a crash of the extension is seen as such, not as a dead
// phpunit): feeds generated inputs to every public OCPizza\… method and constructor of php-ext/stubs/ocpizza.stub.php
// and checks each outcome against the contract. Usage: php -d extension=… api_property_child.php DB_URL SEED CASES
// CLOSED_PORT. Prints "#<case> <method>" before each call (the last one names the culprit of a crash), then
// "SUMMARY <json>": calls, violations (first 25), violation_count, stats[method][outcome].
// No declare(strict_types): the module calls the extension from ordinary (coercive) PHP code.

require __DIR__ . '/ApiInputs.php';
require __DIR__ . '/Orders.php';

use OCPizza\SogeCommerce;
use OCPizza\Store;
use OCPizza\Tests\ApiInputs;
use OCPizza\Tests\Orders;
use OCPizza\Webhooks;

[, $dbUrl, $seed, $cases, $closedPort] = $argv;
$g = new ApiInputs((int) $seed);
$store = new Store($dbUrl);
$ipnKey = 'prop-key-0123456789';
$whsec = 'whsec_' . base64_encode(str_repeat('k', 32));

/** A signed IPN (SogeCommerceTest's paid card payment). */
function ipn(string $key, array $fields = []): array
{
    $f = $fields + [
        'vads_site_id' => '12345678', 'vads_ctx_mode' => 'TEST', 'vads_trans_id' => '000042',
        'vads_trans_uuid' => 'A1B2C3D4E5F60718293A4B5C6D7E8F90', 'vads_trans_date' => '20261129183005',
        'vads_amount' => '1640', 'vads_currency' => '978', 'vads_trans_status' => 'AUTHORISED',
        'vads_order_id' => 'XKBKNABJK', 'vads_operation_type' => 'DEBIT', 'vads_url_check_src' => 'PAY',
        'vads_sequence_number' => '1', 'vads_card_brand' => 'CB', 'vads_cust_first_name' => 'Léa',
    ];
    $f['signature'] = SogeCommerce::sign($f, $key);

    return $f;
}

/** A REST IPN of a paid card payment, kr-hash by $password over the JSON of $answer (or over $raw as is). */
function restAnswer(): array
{
    return ['shopId' => '12345678', 'orderCycle' => 'CLOSED', 'orderStatus' => 'PAID',
        'orderDetails' => ['orderTotalAmount' => 1640, 'orderCurrency' => 'EUR', 'mode' => 'TEST', 'orderId' => 'XKBKNABJK'],
        'transactions' => [['uuid' => 'a1b2c3d4e5f60718293a4b5c6d7e8f90', 'amount' => 1640, 'currency' => 'EUR',
            'detailedStatus' => 'CAPTURED', 'operationType' => 'DEBIT', 'creationDate' => '2026-11-29T18:30:05+00:00',
            'transactionDetails' => ['sequenceNumber' => 1, 'cardDetails' => ['legacyTransId' => '000042']]]]];
}

function restPost(string $raw, string $password): array
{
    return ['kr-hash' => hash_hmac('sha256', $raw, $password), 'kr-hash-algorithm' => 'sha256_hmac',
        'kr-hash-key' => 'password', 'kr-answer-type' => 'V4/Payment', 'kr-answer' => $raw];
}

$restPassword = 'testpassword_prop0123456789';

// Orders recorded during the run, for payments and statuses that reach the order rows.
$orders = [];
$o = Orders::delivery(Orders::newId());
$orders[] = $o['shop_order_id'];
try {
    $store->recordOrder($o);
} catch (OCPizza\DbException $e) {
    // ApiPropertyTest's check of this harness runs it with the database down: the calls below must report it.
}
// Paid orders, so that recordRefund reaches its success path (and, as refunds add up, its amount_cents refusal).
$paidOrders = [];
for ($i = 0; $i < 3; $i++) {
    $o = Orders::delivery(Orders::newId());
    try {
        $store->recordOrder($o);
        $store->recordPayment(Orders::payment($o['shop_order_id']));
        $paidOrders[] = $o['shop_order_id'];
    } catch (OCPizza\DbException $e) {
        $paidOrders[] = $o['shop_order_id'];
    }
}

$bridgeUrls = ["http://127.0.0.1:$closedPort", "https://127.0.0.1:$closedPort/base/", "http://u:pw@127.0.0.1:$closedPort",
    'ftp://127.0.0.1/', "http://127.0.0.1:$closedPort/?q=1", 'http:///nohost', "http://127.0.0.1:$closedPort#f"];

/**
 * Each parameter: [name, PHP type, generator of a value of that type (mostly near-valid), optional?]. The call
 * gets, for each parameter, that value, or (15 %) a value of any type, or (optional ones, 30 %) nothing.
 */
$api = [
    'SogeCommerce::sign' => [[
        ['fields', 'array', fn () => $g->chance(0.5) ? $g->mutate(ipn($ipnKey)) : $g->array()],
        ['key', 'string', fn () => $g->chance(0.5) ? $ipnKey : $g->string()],
        ['algorithm', 'string', fn () => $g->chance(0.6) ? $g->pick(['HMAC-SHA-256', 'SHA-1']) : $g->string(), true],
    ], fn (...$a) => SogeCommerce::sign(...$a)],
    'SogeCommerce::verify' => [[
        ['fields', 'array', fn () => $g->chance(0.7) ? $g->mutate(ipn($ipnKey)) : $g->array()],
        ['key', 'string', fn () => $g->chance(0.5) ? $ipnKey : $g->string()],
        ['algorithm', 'string', fn () => $g->chance(0.6) ? $g->pick(['HMAC-SHA-256', 'SHA-1']) : $g->string(), true],
    ], fn (...$a) => SogeCommerce::verify(...$a)],
    'SogeCommerce::krHash' => [[
        ['krAnswer', 'string', fn () => $g->string()],
        ['key', 'string', fn () => $g->string()],
    ], fn (...$a) => SogeCommerce::krHash(...$a)],
    'SogeCommerce::verifyKrHash' => [[
        ['krAnswer', 'string', fn () => $g->string()],
        ['krHash', 'string', fn () => $g->chance(0.3) ? hash_hmac('sha256', '', 'k') : $g->string()],
        ['key', 'string', fn () => $g->string()],
    ], fn (...$a) => SogeCommerce::verifyKrHash(...$a)],
    'SogeCommerce::parseNotification' => [[
        // Mutated then (mostly) signed again, so that the field checks behind the signature are reached.
        ['post', 'array', function () use ($g, $ipnKey) {
            $f = $g->chance(0.8) ? $g->mutate(ipn($ipnKey)) : ipn($ipnKey);
            if ($g->chance(0.7)) {
                try {
                    $f['signature'] = SogeCommerce::sign($f, $ipnKey);
                } catch (OCPizza\ValidationException $e) {
                    // an array value cannot be signed: sent as is
                }
            }

            return $f;
        }],
        ['key', 'string', fn () => $g->chance(0.8) ? $ipnKey : $g->string()],
        ['mode', 'string', fn () => $g->chance(0.7) ? $g->pick(['TEST', 'PRODUCTION']) : $g->string()],
        ['algorithm', 'string', fn () => $g->chance(0.7) ? 'HMAC-SHA-256' : $g->string(), true],
    ], fn (...$a) => SogeCommerce::parseNotification(...$a)],
    'SogeCommerce::parseRestNotification' => [[
        // A mutated answer hashed again (its checks are reached), or a mutated post (the hash checks are).
        ['post', 'array', function () use ($g, $restPassword) {
            if ($g->chance(0.6)) {
                $a = $g->chance(0.85) ? $g->mutate(restAnswer()) : restAnswer();
                $raw = json_encode($a, JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR);

                return restPost($raw === false ? $g->string() : $raw, $restPassword);
            }

            return $g->chance(0.7) ? $g->mutate(restPost(json_encode(restAnswer()), $restPassword)) : $g->array();
        }],
        ['restPassword', 'string', fn () => $g->chance(0.8) ? $restPassword : $g->string()],
        ['hmacKey', 'string', fn () => $g->chance(0.5) ? '' : $g->string()],
        ['mode', 'string', fn () => $g->chance(0.7) ? $g->pick(['TEST', 'PRODUCTION']) : $g->string()],
    ], fn (...$a) => SogeCommerce::parseRestNotification(...$a)],
    'SogeCommerce::cancelOrRefund' => [[
        // Loopback with a closed port only (or no URL at all): no request leaves the host, so a well-formed call
        // ends in a GatewayException (NETWORK). Its success path runs against the REST stand-in in
        // tests/tests/sogecommerce_refund.rs.
        ['apiUrl', 'string', fn () => $g->chance(0.7) ? "http://127.0.0.1:$closedPort/api-payment/" : str_replace(':', '', $g->string())],
        ['shopId', 'string', fn () => $g->chance(0.7) ? '12345678' : $g->nearMiss('12345678')],
        ['restPassword', 'string', fn () => $g->chance(0.7) ? 'testpassword_prop' : $g->string()],
        ['uuid', 'string', fn () => $g->chance(0.7) ? 'a1b2c3d4e5f60718293a4b5c6d7e8f90' : $g->nearMiss('a1b2c3d4e5f60718293a4b5c6d7e8f90')],
        ['amountCents', 'int', fn () => $g->pick([1, 640, 0, -1, PHP_INT_MAX, PHP_INT_MIN])],
        ['currency', 'string', fn () => $g->chance(0.7) ? 'EUR' : $g->nearMiss('EUR')],
        ['resolutionMode', 'string', fn () => $g->chance(0.6) ? $g->pick(['AUTO', 'REFUND_ONLY', 'CANCELLATION_ONLY']) : $g->string(), true],
        ['timeoutMs', 'int', fn () => $g->pick([1000, 1, 0, -1, 120_000, 120_001, PHP_INT_MAX]), true],
    ], fn (...$a) => SogeCommerce::cancelOrRefund(...$a)],
    'Webhooks::sign' => [[
        ['secret', 'string', fn () => $g->chance(0.5) ? $whsec : ($g->chance(0.5) ? 'whsec_' . $g->string() : $g->string())],
        ['msgId', 'string', fn () => $g->chance(0.4) ? 'msg_' . $g->int(1, 999) : $g->string()],
        ['timestamp', 'int', fn () => $g->pick([0, 1_764_000_000, -1, PHP_INT_MAX, PHP_INT_MIN, $g->int(PHP_INT_MIN, PHP_INT_MAX)])],
        ['body', 'string', fn () => $g->string()],
    ], fn (...$a) => Webhooks::sign(...$a)],
    'Store::__construct' => [[
        ['databaseUrl', 'string', fn () => $g->chance(0.4) ? $g->nearMiss('mysql://root:pw@127.0.0.1:3306/ocpizza') : $g->string()],
    ], fn (...$a) => new Store(...$a)],
    'Store::recordOrder' => [[
        ['order', 'array', function () use ($g) {
            $o = Orders::delivery(Orders::newId(), $g->chance(0.8) ? 'BELLECOUR' : $g->string());

            return $g->chance(0.85) ? $g->mutate($o) : ($g->chance(0.5) ? $o : $g->array());
        }],
    ], function (...$a) use ($store, &$orders) {
        $r = $store->recordOrder(...$a);
        $orders[] = $a[0]['shop_order_id'];

        return $r;
    }],
    'Store::recordPayment' => [[
        ['payment', 'array', function () use ($g, &$orders, $ipnKey) {
            $id = $g->pick($orders);
            if ($g->chance(0.3)) {
                // What the module passes: parseNotification()'s result plus shop_order_id.
                $n = SogeCommerce::parseNotification(ipn($ipnKey, ['vads_trans_id' => sprintf('%06d', $g->int(0, 999_999))]), $ipnKey, 'TEST');

                return $g->mutate($n + ['shop_order_id' => $id]);
            }
            $p = Orders::payment($id, 'prop:' . $g->int(0, PHP_INT_MAX));

            return $g->chance(0.85) ? $g->mutate($p) : $p;
        }],
    ], fn (...$a) => $store->recordPayment(...$a)],
    'Store::recordRefund' => [[
        ['refund', 'array', function () use ($g, &$orders, $paidOrders) {
            $id = $g->chance(0.8) ? $g->pick($paidOrders) : $g->pick($orders);
            $r = ['shop_order_id' => $id, 'transaction_key' => 'prop-refund:' . $g->int(0, PHP_INT_MAX),
                'amount_cents' => $g->int(1, 60), 'currency' => 'EUR', 'reason' => $g->pick(['pizza froide', 'Rückerstattung', null]),
                'source' => $g->pick(['shop', 'gateway']), 'requested_by' => 'prop'];
            if ($g->chance(0.3)) {
                $r['payment_transaction_key'] = "sogecommerce:12345678:{$id}:1";
            }

            return $g->chance(0.6) ? $g->mutate($r) : $r;
        }],
    ], fn (...$a) => $store->recordRefund(...$a)],
    'Store::setStatus' => [[
        ['shopOrderId', 'int', function () use ($g, &$orders) {
            return $g->chance(0.7) ? (int) $g->pick($orders) : $g->pick([0, -1, PHP_INT_MAX, PHP_INT_MIN, $g->int(PHP_INT_MIN, PHP_INT_MAX)]);
        }],
        ['status', 'string', fn () => $g->chance(0.5) ? $g->pick(['accepted', 'in_preparation', 'cancelled', 'received', 'delivered']) : $g->string()],
        ['note', '?string', fn () => $g->chance(0.3) ? null : $g->string(), true],
    ], fn (...$a) => $store->setStatus(...$a)],
    'Store::availableProducts' => [[
        ['restaurant', 'string', fn () => $g->chance(0.2) ? $g->pick(['BELLECOUR', 'GERLAND', 'NOWHERE']) : $g->string()],
    ], fn (...$a) => $store->availableProducts(...$a)],
    'Store::restaurants' => [[], fn () => $store->restaurants()],
    'Store::publishOutbox' => [[
        // Only loopback URLs with a closed port, or strings without ':' (never a URL): no request leaves the host.
        ['bridgeUrl', 'string', fn () => $g->chance(0.6) ? $g->pick($bridgeUrls) : str_replace(':', '', $g->string())],
        ['secret', 'string', fn () => $g->chance(0.6) ? $whsec : $g->string()],
        ['max', 'int', fn () => $g->pick([1, 2, 0, -1, 10_000, 10_001, PHP_INT_MAX, PHP_INT_MIN]), true],
    ], fn (...$a) => $store->publishOutbox(...$a)],
];

/** The exceptions each method documents for input it refuses (a DbException is never one: the database is up). */
$documented = [
    'SogeCommerce::sign' => ['OCPizza\ValidationException'],
    'SogeCommerce::verify' => ['OCPizza\ValidationException'],
    'SogeCommerce::krHash' => [],
    'SogeCommerce::verifyKrHash' => [],
    'SogeCommerce::parseNotification' => ['OCPizza\SignatureException', 'OCPizza\ValidationException'],
    'SogeCommerce::parseRestNotification' => ['OCPizza\SignatureException', 'OCPizza\ValidationException'],
    'SogeCommerce::cancelOrRefund' => ['OCPizza\GatewayException', 'OCPizza\ValidationException'],
    'Webhooks::sign' => ['OCPizza\ValidationException'],
    'Store::__construct' => ['OCPizza\ValidationException'],
    'Store::recordOrder' => ['OCPizza\ValidationException'],
    'Store::recordPayment' => ['OCPizza\ValidationException'],
    'Store::recordRefund' => ['OCPizza\ValidationException'],
    'Store::setStatus' => ['OCPizza\ValidationException'],
    'Store::availableProducts' => ['OCPizza\ValidationException'],
    'Store::restaurants' => [],
    'Store::publishOutbox' => ['OCPizza\ValidationException'],
];

/** What a successful call returns, per method (the stub's return types). */
$returns = [
    'SogeCommerce::sign' => fn ($r) => is_string($r) && in_array(strlen($r), [40, 44], true),
    'SogeCommerce::verify' => 'is_bool',
    'SogeCommerce::krHash' => fn ($r) => is_string($r) && preg_match('/^[0-9a-f]{64}$/', $r) === 1,
    'SogeCommerce::verifyKrHash' => 'is_bool',
    'SogeCommerce::parseNotification' => fn ($r) => is_array($r) && is_string($r['idempotency_key'] ?? null),
    'SogeCommerce::parseRestNotification' => fn ($r) => is_array($r) && is_string($r['idempotency_key'] ?? null) && is_int($r['amount_cents']),
    'SogeCommerce::cancelOrRefund' => fn ($r) => is_array($r) && is_bool($r['confirmed'] ?? null),
    'Webhooks::sign' => fn ($r) => is_string($r) && str_starts_with($r, 'v1,'),
    'Store::__construct' => fn ($r) => $r instanceof Store,
    'Store::recordOrder' => fn ($r) => is_array($r) && array_keys($r) === ['order_id', 'created'] && is_int($r['order_id']) && is_bool($r['created']),
    'Store::recordPayment' => fn ($r) => is_array($r) && array_keys($r) === ['payment_id', 'created'] && is_int($r['payment_id']) && is_bool($r['created']),
    'Store::recordRefund' => fn ($r) => is_array($r) && array_keys($r) === ['refund_id', 'created', 'amount_cents', 'paid_cents', 'refunded_total_cents', 'full']
        && is_int($r['refund_id']) && is_bool($r['created']) && is_int($r['amount_cents']) && is_int($r['paid_cents'])
        && is_int($r['refunded_total_cents']) && $r['full'] === ($r['refunded_total_cents'] >= $r['paid_cents']),
    'Store::setStatus' => 'is_bool',
    'Store::availableProducts' => fn ($r) => is_array($r) && array_is_list($r) && array_filter($r, 'is_string') === $r,
    'Store::restaurants' => fn ($r) => is_array($r) && array_is_list($r) && $r !== [],
    'Store::publishOutbox' => fn ($r) => is_array($r) && array_keys($r) === ['published', 'failed', 'pending'] && array_filter($r, 'is_int') === $r,
];

/** The declared type accepts $v (as under strict_types: the extension does not coerce scalars). */
function typeOk($v, string $type): bool
{
    return match ($type) {
        'string' => is_string($v),
        '?string' => $v === null || is_string($v),
        'int' => is_int($v),
        'array' => is_array($v),
    };
}

function describe($v): string
{
    if (is_string($v)) {
        return 'string(' . strlen($v) . ') ' . json_encode(substr($v, 0, 40), JSON_INVALID_UTF8_SUBSTITUTE | JSON_UNESCAPED_UNICODE);
    }
    if (is_array($v)) {
        return 'array(' . count($v) . ') ' . substr((string) json_encode($v, JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR), 0, 200);
    }

    return is_object($v) ? get_class($v) : get_debug_type($v);
}

$methods = array_keys($api);
$violations = [];
$count = 0;
$stats = [];
for ($i = 0; $i < (int) $cases; $i++) {
    // Every method in turn, so that each gets its share whatever the count.
    $method = $methods[$i % count($methods)];
    [$params, $call] = $api[$method];
    $args = [];
    $typed = true;
    foreach ($params as $p) {
        [$name, $type, $gen] = $p;
        if (($p[3] ?? false) && $g->chance(0.3)) {
            break; // optional from here on: omitted
        }
        $v = $g->chance(0.15) ? $g->any() : $gen();
        $typed = $typed && typeOk($v, $type);
        $args[] = $v;
    }
    echo "#$i $method\n";
    $outcome = 'ok';
    $problem = null;
    try {
        $r = $call(...$args);
        if (!$typed) {
            $problem = 'an argument of another type than declared was accepted';
        } elseif (!$returns[$method]($r)) {
            $problem = 'unexpected return value ' . describe($r);
        }
    } catch (\Throwable $e) {
        $outcome = get_class($e);
        $message = $e->getMessage();
        if (!$typed) {
            if (!$e instanceof \TypeError) {
                $problem = "an argument of another type than declared gave $outcome ($message), not a TypeError";
            }
        } elseif ($e instanceof \TypeError) {
            $problem = "a value of the declared type gave a TypeError: $message";
        } elseif (!in_array($outcome, $documented[$method], true)) {
            $problem = "undocumented $outcome: $message";
        } elseif ($e instanceof OCPizza\ValidationException
            && ($e->field === '' || !str_starts_with($message, $e->field . ': '))) {
            $problem = "ValidationException without its field: field '{$e->field}', message '$message'";
        }
        foreach ($params as $k => $p) {
            $v = $args[$k] ?? null;
            if (in_array($p[0], ['key', 'secret', 'restPassword', 'hmacKey'], true) && is_string($v) && strlen($v) >= 16 && str_contains($message, $v)) {
                $problem = "the message contains the {$p[0]}";
            }
        }
    }
    $stats[$method][$outcome] = ($stats[$method][$outcome] ?? 0) + 1;
    $count++;
    if ($problem !== null) {
        if (count($violations) < 25) {
            $violations[] = "#$i $method(" . implode(', ', array_map('describe', $args)) . "): $problem";
        }
        $nViolations = ($nViolations ?? 0) + 1;
    }
}
echo 'SUMMARY ', json_encode(['calls' => $count, 'violations' => $violations, 'violation_count' => $nViolations ?? 0,
    'stats' => $stats], JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR), "\n";
exit(0);
