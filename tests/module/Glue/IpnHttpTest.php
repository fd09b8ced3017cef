<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Tests\GlueTestCase;
use OCPizzaModule\Tests\Support\Extension;

/**
 * The IPN over real HTTP on 127.0.0.1 (PHP's built-in server running the module's controller on the stand-in):
 * status codes and bodies as the gateway sees them, form-encoded values ('+' and '%2B') read exactly.
 */
final class IpnHttpTest extends GlueTestCase
{
    /** @var resource|null */
    private $server;
    /** @var int */
    private $port = 0;

    private function start(array $env, bool $debug = true): void
    {
        $sock = stream_socket_server('tcp://127.0.0.1:0');
        $name = (string) stream_socket_get_name($sock, false);
        $this->port = (int) substr($name, strrpos($name, ':') + 1);
        fclose($sock);
        $cmd = [PHP_BINARY];
        if (Extension::usable()) {
            $cmd = array_merge($cmd, ['-d', 'extension=' . Extension::path()]);
        }
        // Debug mode shows PHP's errors in the page; production mode hides them (an uncaught error is an empty 500).
        $cmd = array_merge($cmd, ['-d', 'display_errors=' . ($debug ? '1' : '0'), '-S', '127.0.0.1:' . $this->port, dirname(__DIR__) . '/bin/http-router.php']);
        $env += ['OCPIZZA_STANDIN_DB' => self::databaseName(), 'PATH' => (string) getenv('PATH')];
        $this->server = proc_open($cmd, [1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes, null, $env);
        for ($i = 0; $i < 100 && @fsockopen('127.0.0.1', $this->port) === false; ++$i) {
            usleep(50000); // bounded: 5 s
        }
    }

    protected function tearDown(): void
    {
        if ($this->server !== null) {
            proc_terminate($this->server);
            proc_close($this->server);
            $this->server = null;
        }
    }

    /** @return array{0:int, 1:string, 2:string} status, body, content type */
    private function post(string $body, string $method = 'POST', string $query = 'controller=ipn', array $headers = []): array
    {
        $ch = curl_init('http://127.0.0.1:' . $this->port . '/index.php?fc=module&module=ocpizza&' . $query);
        curl_setopt_array($ch, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 20, CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => array_merge(['Content-Type: application/x-www-form-urlencoded'], $headers)]);
        if ($method === 'POST') {
            curl_setopt($ch, CURLOPT_POSTFIELDS, $body);
        }
        $out = (string) curl_exec($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $type = (string) curl_getinfo($ch, CURLINFO_CONTENT_TYPE);
        curl_close($ch);

        return [$status, $out, $type];
    }

    public function testStatusCodesAsTheGatewaySeesThem(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $fields = self::notificationFields($cart, 'AUTHORISED');
        $this->start(['OCPIZZA_PARSER_DOUBLE' => '1']);
        $orderIdPattern = '/^OK-Order \d+ created$/';

        [$status, $body, $type] = $this->post(http_build_query(['signature' => 'forged'] + $fields));
        $this->assertSame([200, 'KO-Invalid signature'], [$status, $body]);
        $this->assertStringStartsWith('text/plain', $type);

        [$status, $body] = $this->post(http_build_query($fields));
        $this->assertSame(200, $status);
        $this->assertMatchesRegularExpression($orderIdPattern, $body);
        $this->assertSame([200, 'OK-Already registered'], array_slice($this->post(http_build_query($fields)), 0, 2));
        $this->assertSame([405, 'KO-POST only'], array_slice($this->post('', 'GET'), 0, 2));
        $this->assertSame(1, $this->orderCount((int) $cart->id));
    }

    /**
     * Issue 10: PrestaShop's Controller::__construct() replaces the declared `$ajax = true` with isAjax(), so without
     * an `ajax` parameter or an `Accept: application/json` header run() called display() → Smarty fatal (200 with the
     * error in debug mode, empty 500 in production). Every combination must give the documented answer.
     */
    public function testIpnAndCronAnswerTheSameWhateverAjaxOrAcceptSays(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $fields = self::notificationFields($cart, 'AUTHORISED');
        $token = $this->module->settings()->cronToken();
        foreach ([['8.1.0', true], ['8.2.0', false], ['9.1.3', true], ['9.1.3', false]] as [$version, $debug]) {
            $this->start(['OCPIZZA_PARSER_DOUBLE' => '1', 'OCPIZZA_STANDIN_PS_VERSION' => $version], $debug);
            foreach (['' => [], '&ajax=1' => [], ' Accept json' => ['Accept: application/json'], ' Accept html' => ['Accept: text/html,application/xhtml+xml']] as $variant => $headers) {
                $query = 'controller=ipn' . (strpos($variant, '&') === 0 ? $variant : '');
                $label = $version . ' ' . ($debug ? 'debug' : 'production') . $variant;
                $this->assertSame([200, 'KO-Invalid signature'], array_slice($this->post(http_build_query(['signature' => 'forged'] + $fields), 'POST', $query, $headers), 0, 2), $label);
                $this->assertSame([405, 'KO-POST only'], array_slice($this->post('', 'GET', $query, $headers), 0, 2), $label);
                [$status, $body, $type] = $this->post('', 'GET', 'controller=cron&token=' . $token . (strpos($variant, '&') === 0 ? $variant : ''), $headers);
                $this->assertSame(200, $status, $label . ': ' . $body);
                $this->assertStringStartsWith('{"published":', $body, $label);
                $this->assertStringStartsWith('application/json', $type, $label);
                $this->assertSame([403, '{"error":"forbidden"}'], array_slice($this->post('', 'GET', 'controller=cron&token=wrong', $headers), 0, 2), $label);
            }
            $this->tearDown();
        }
        [$status, $body] = array_slice((function () use ($fields) {
            $this->start(['OCPIZZA_PARSER_DOUBLE' => '1'], false);

            return $this->post(http_build_query($fields));
        })(), 0, 2);
        $this->assertSame(200, $status, 'production mode, valid notification: ' . $body);
        $this->assertMatchesRegularExpression('/^OK-Order \d+ created$/', $body);
    }

    public function testDatabaseDownAnswers500SoTheGatewayRetries(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $this->start(['OCPIZZA_PARSER_DOUBLE' => '1', 'OCPIZZA_FAIL_RECORD' => '1']);
        $this->assertSame([500, 'KO-Could not record, retry later'], array_slice($this->post(http_build_query(self::notificationFields($cart, 'AUTHORISED'))), 0, 2));
    }

    public function testRealSignatureOverHttpWithPlusSignsAndAccents(): void
    {
        self::requireExtension();
        $cart = $this->makeCart([1 => 1]);
        $fields = self::signedNotification(['vads_order_id' => (string) $cart->id, 'vads_amount' => '1400', 'vads_trans_status' => 'AUTHORISED',
            'vads_cust_last_name' => 'Martin+Dupont', 'vads_cust_first_name' => 'Zoé Anaïs', 'vads_cust_address' => 'a\\b "c"']);
        $this->start([]);
        // http_build_query encodes '+' as %2B and spaces as '+': the controller must read the decoded values untouched.
        [$status, $body] = $this->post(http_build_query($fields));
        $this->assertSame(200, $status, $body);
        $this->assertStringStartsWith('OK-Order', $body);
        $this->assertSame(1, $this->orderCount((int) $cart->id));
    }

    /**
     * Issue 13: a REST notification (kr-*) at the same URL, its kr-hash checked on the kr-answer bytes as posted: raw
     * UTF-8, a '+', quotes and escaped slashes ("\/") arrive form-encoded and must reach the extension untouched.
     */
    public function testRestNotificationOverHttpIsVerifiedOnThePostedBytes(): void
    {
        self::requireExtension();
        $cart = $this->makeCart([1 => 1]);
        $answer = self::restAnswer($cart);
        $answer['customer'] = ['email' => 'zoé+pizza@example.org', 'reference' => 'a/b "c"'];
        \Configuration::updateValue(Keys::REST_PASSWORD_TEST, self::REST_PASSWORD);
        $this->start([]);

        $raw = (string) json_encode($answer, JSON_UNESCAPED_UNICODE); // "\/" kept, é raw
        $this->assertStringContainsString('a\/b \"c\"', $raw);
        $post = ['kr-hash' => hash_hmac('sha256', $raw, self::REST_PASSWORD), 'kr-hash-algorithm' => 'sha256_hmac', 'kr-hash-key' => 'password',
            'kr-answer-type' => 'V4/Payment', 'kr-answer' => $raw];
        [$status, $body, $type] = $this->post(http_build_query(['kr-hash' => str_repeat('0', 64)] + $post));
        $this->assertSame([200, 'KO-Invalid signature'], [$status, $body]);
        $this->assertStringStartsWith('text/plain', $type);
        $this->assertSame(0, $this->orderCount((int) $cart->id));

        [$status, $body] = $this->post(http_build_query($post));
        $this->assertSame(200, $status, $body);
        $this->assertMatchesRegularExpression('/^OK-Order \d+ created$/', $body);
        $this->assertSame([200, 'OK-Already registered'], array_slice($this->post(http_build_query($post)), 0, 2));
        $this->assertSame(1, $this->orderCount((int) $cart->id));

        \Configuration::updateValue(Keys::REST_PASSWORD_TEST, '');
        $this->assertSame([503, 'KO-Module not configured: REST password'], array_slice($this->post(http_build_query($post)), 0, 2), 'the gateway retries until it is set');
    }
}
