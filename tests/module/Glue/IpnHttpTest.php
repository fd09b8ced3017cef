<?php

namespace OCPizzaModule\Tests\Glue;

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

    private function start(array $env): void
    {
        $sock = stream_socket_server('tcp://127.0.0.1:0');
        $name = (string) stream_socket_get_name($sock, false);
        $this->port = (int) substr($name, strrpos($name, ':') + 1);
        fclose($sock);
        $cmd = [PHP_BINARY];
        if (Extension::usable()) {
            $cmd = array_merge($cmd, ['-d', 'extension=' . Extension::path()]);
        }
        $cmd = array_merge($cmd, ['-S', '127.0.0.1:' . $this->port, dirname(__DIR__) . '/bin/http-router.php']);
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
    private function post(string $body, string $method = 'POST'): array
    {
        $ch = curl_init('http://127.0.0.1:' . $this->port . '/index.php?fc=module&module=ocpizza&controller=ipn');
        curl_setopt_array($ch, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 20, CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => ['Content-Type: application/x-www-form-urlencoded']]);
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
}
