<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Tests\GlueTestCase;

/**
 * The status panel against real services: an OCPizza_DB migrated by the project's own binary
 * (target/debug/ocpizza-bridge migrate) and a local HTTP server answering /readyz.
 */
final class StatusPanelTest extends GlueTestCase
{
    public function testDatabaseMigratedAndBridgeReady(): void
    {
        $bin = dirname(__DIR__, 3) . '/target/debug/ocpizza-bridge';
        if (!is_executable($bin)) {
            $this->markTestSkipped('needs target/debug/ocpizza-bridge (cargo build -p ocpizza-bridge)');
        }
        $s = \StandInDatabase::server();
        $name = 'ocpizza_module_status_' . getmypid();
        $pdo = new \PDO($s['dsn'], $s['user'], $s['password'], [\PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION]);
        $pdo->exec('CREATE DATABASE `' . $name . '`');
        $server = null;
        $router = sys_get_temp_dir() . '/ocpizza-readyz-' . getmypid() . '.php';
        try {
            $p = parse_url(getenv('OCPIZZA_TEST_DATABASE_SERVER') ?: 'mysql://root@127.0.0.1:3306');
            $url = sprintf('mysql://%s%s@%s:%d/%s', rawurlencode($s['user']), $s['password'] !== '' ? ':' . rawurlencode($s['password']) : '', $p['host'] ?? '127.0.0.1', (int) ($p['port'] ?? 3306), $name);
            exec('OCPIZZA_DATABASE_URL=' . escapeshellarg($url) . ' ' . escapeshellarg($bin) . ' migrate 2>&1', $out, $code);
            $this->assertSame(0, $code, implode("\n", $out));

            file_put_contents($router, '<?php if ($_SERVER["REQUEST_URI"] === "/readyz") { http_response_code(200); echo "ready"; } else { http_response_code(404); }');
            $sock = stream_socket_server('tcp://127.0.0.1:0');
            $port = (int) substr((string) stream_socket_get_name($sock, false), strrpos((string) stream_socket_get_name($sock, false), ':') + 1);
            fclose($sock);
            $server = proc_open([PHP_BINARY, '-S', '127.0.0.1:' . $port, $router], [1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
            for ($i = 0; $i < 100 && @fsockopen('127.0.0.1', $port) === false; ++$i) {
                usleep(50000); // bounded: 5 s
            }
            $this->configure([Keys::DB_URL => $url, Keys::BRIDGE_URL => 'http://127.0.0.1:' . $port]);

            $this->module->getContent();
            $status = array_column(\Context::getContext()->smarty->getTemplateVars('ocpizza_status'), null, 'name');
            $this->assertTrue($status['OCPizza_DB']['ok'], $status['OCPizza_DB']['detail']);
            $this->assertMatchesRegularExpression('/^[1-9]\d* migration\(s\) applied$/', $status['OCPizza_DB']['detail']);
            $this->assertSame(['ok' => true, 'detail' => '0 event(s) pending'], array_intersect_key($status['Événements en attente pour la passerelle'], ['ok' => 1, 'detail' => 1]));
            $this->assertSame(['ok' => true, 'detail' => 'HTTP 200'], array_intersect_key($status['Passerelle (/readyz)'], ['ok' => 1, 'detail' => 1]));

            $this->configure([Keys::DB_URL => sprintf('mysql://nobody:wrong@%s:%d/%s', $p['host'] ?? '127.0.0.1', (int) ($p['port'] ?? 3306), $name)]);
            $this->module->getContent();
            $status = array_column(\Context::getContext()->smarty->getTemplateVars('ocpizza_status'), null, 'name');
            $this->assertFalse($status['OCPizza_DB']['ok']);
            $this->assertStringNotContainsString('wrong', $status['OCPizza_DB']['detail'], 'no password in the panel');
        } finally {
            if ($server !== null) {
                proc_terminate($server);
                proc_close($server);
            }
            @unlink($router);
            $pdo->exec('DROP DATABASE IF EXISTS `' . $name . '`');
        }
    }
}
