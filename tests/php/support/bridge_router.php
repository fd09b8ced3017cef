<?php
/**
 * Stand-in of the bridge's webhook endpoint for `php -S 127.0.0.1:<port> bridge_router.php`: verifies the Standard
 * Webhooks signature in plain PHP (independently of the extension), records every request as one JSON line in
 * $OCPIZZA_ROUTER_LOG, and answers 204 when valid, 401 when not, 503 for event ids listed in $OCPIZZA_ROUTER_FAIL.
 */

declare(strict_types=1);

$secret = base64_decode(substr((string) getenv('OCPIZZA_ROUTER_SECRET'), strlen('whsec_')));
$id = $_SERVER['HTTP_WEBHOOK_ID'] ?? '';
$ts = $_SERVER['HTTP_WEBHOOK_TIMESTAMP'] ?? '';
$sig = $_SERVER['HTTP_WEBHOOK_SIGNATURE'] ?? '';
$body = (string) file_get_contents('php://input');
$expected = 'v1,' . base64_encode(hash_hmac('sha256', "$id.$ts.$body", $secret, true));
$valid = false;
foreach (explode(' ', $sig) as $candidate) {
    $valid = $valid || hash_equals($expected, $candidate);
}
file_put_contents((string) getenv('OCPIZZA_ROUTER_LOG'), json_encode([
    'method' => $_SERVER['REQUEST_METHOD'], 'path' => parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH),
    'id' => $id, 'timestamp' => $ts, 'valid' => $valid, 'content_type' => $_SERVER['CONTENT_TYPE'] ?? '',
    'body' => $body, 'received' => time(),
]) . "\n", FILE_APPEND | LOCK_EX);
if (in_array($id, explode(',', (string) getenv('OCPIZZA_ROUTER_FAIL')), true)) {
    http_response_code(503);
} else {
    http_response_code($valid ? 204 : 401);
}
