<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Tests\GlueTestCase;
use OCPizzaModule\Tests\Support\JournalGateway;

/**
 * The IPN and the customer's return for the same cart, in two PHP processes released at the same instant, create
 * exactly one order: both go through the module's per-cart lock (GET_LOCK on the real MariaDB via the stand-in's
 * Db). Bounded: a few rounds, each process waits at most 10 s for its start signal.
 */
final class ConcurrencyTest extends GlueTestCase
{
    private const ROUNDS = 4;

    /** @return array{0: array, 1: array} decoded outputs of the IPN and the return processes */
    private function race(\Cart $cart, array $ipnPost, array $returnGet, array $env): array
    {
        $start = sys_get_temp_dir() . '/ocpizza-start-' . getmypid() . '-' . $cart->id;
        foreach (['', '.ready-ipn', '.ready-return'] as $suffix) {
            @unlink($start . $suffix);
        }
        $env += ['OCPIZZA_STANDIN_DB' => self::databaseName(), 'PATH' => (string) getenv('PATH'), 'OCPIZZA_STANDIN_VALIDATE_DELAY_MS' => '300'];
        $php = [PHP_BINARY];
        if (\OCPizzaModule\Tests\Support\Extension::usable()) {
            $php = array_merge($php, ['-d', 'extension=' . \OCPizzaModule\Tests\Support\Extension::path()]);
        }
        $script = dirname(__DIR__) . '/bin/run-controller.php';
        $procs = [];
        foreach ([['ipn', [], $ipnPost, 'POST'], ['return', $returnGet, [], 'GET']] as [$name, $get, $post, $method]) {
            $cmd = array_merge($php, [$script, $name, json_encode($get), json_encode($post), $method, $start]);
            $procs[] = proc_open($cmd, [1 => ["pipe", "w"], 2 => ["pipe", "w"]], $pipes, null, $env);
            $outputs[] = $pipes;
        }
        for ($i = 0; $i < 1000 && !(file_exists($start . '.ready-ipn') && file_exists($start . '.ready-return')); ++$i) {
            usleep(10000); // bounded: 10 s at most
        }
        touch($start);
        $results = [];
        foreach ($procs as $i => $p) {
            $out = stream_get_contents($outputs[$i][1]);
            $err = stream_get_contents($outputs[$i][2]);
            $this->assertSame(0, proc_close($p), $err);
            $decoded = json_decode((string) $out, true);
            $this->assertIsArray($decoded, (string) $out . $err);
            $results[] = $decoded;
        }
        foreach (['', '.ready-ipn', '.ready-return'] as $suffix) {
            @unlink($start . $suffix);
        }

        return $results;
    }

    public function testIpnAndReturnTogetherCreateExactlyOneOrder(): void
    {
        for ($round = 0; $round < self::ROUNDS; ++$round) {
            $cart = $this->makeCart([1 => 1, 3 => 2]);
            $fields = self::notificationFields($cart, 'AUTHORISED', ['vads_trans_uuid' => 'uuid-race-' . $round]);
            $returnFields = $fields;
            unset($returnFields['vads_url_check_src'], $returnFields['vads_hash']);
            [$ipn, $return] = $this->race($cart, $fields, $returnFields + ['id_cart' => (string) $cart->id, 'key' => $cart->secure_key], ['OCPIZZA_PARSER_DOUBLE' => '1']);

            $this->assertSame(1, $this->orderCount((int) $cart->id), 'round ' . $round);
            $orderId = (int) \Order::getIdByCartId((int) $cart->id);
            $this->assertSame(200, $ipn['status']);
            $this->assertContains($ipn['body'], ['OK-Order ' . $orderId . ' created', 'OK-Already registered']);
            $this->assertStringContainsString('controller=order-confirmation', (string) $return['redirect'], 'the customer sees the confirmation');
            $this->assertStringContainsString('id_order=' . $orderId, (string) $return['redirect']);
            $this->assertSame(2, $this->stateOf($orderId));
        }
        $this->assertCount(self::ROUNDS, JournalGateway::journalled('recordOrder'), 'each order recorded once');
    }

    public function testWithTheRealExtensionSignatures(): void
    {
        self::requireExtension();
        $cart = $this->makeCart([1 => 1]);
        $fields = self::signedNotification(['vads_order_id' => (string) $cart->id, 'vads_amount' => '1400', 'vads_trans_status' => 'AUTHORISED']);
        $returnFields = $fields;
        unset($returnFields['vads_url_check_src'], $returnFields['vads_hash']);
        ksort($returnFields);
        unset($returnFields['signature']);
        $returnFields['signature'] = \OCPizza\SogeCommerce::sign($returnFields, self::TEST_KEY, 'HMAC-SHA-256');
        [$ipn, $return] = $this->race($cart, $fields, $returnFields + ['id_cart' => (string) $cart->id, 'key' => $cart->secure_key], []);
        $this->assertSame(1, $this->orderCount((int) $cart->id));
        $this->assertSame(200, $ipn['status']);
        $this->assertStringStartsWith('OK-', $ipn['body']);
        $this->assertNotNull($return['redirect']);
    }
}
