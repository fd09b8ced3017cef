<?php

declare(strict_types=1);

use OCPizza\DbException;
use OCPizza\Store;
use OCPizza\Tests\Orders;
use OCPizza\Tests\Processes;
use OCPizza\Tests\TestDatabase;
use OCPizza\ValidationException;
use PHPUnit\Framework\TestCase;

/**
 * Store::publishOutbox against a local HTTP stand-in of the bridge (php -S, real HTTP over 127.0.0.1) and against a
 * closed port; DbException on unreachable or refused databases. Each test has its own fresh database.
 */
final class StorePublishTest extends TestCase
{
    private const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

    private TestDatabase $db;
    private \PDO $pdo;
    private Store $store;
    /** @var resource|null */
    private $server;
    private string $log;
    private int $port;

    protected function setUp(): void
    {
        $this->db = TestDatabase::create('publish', false);
        $this->pdo = TestDatabase::pdo($this->db->name);
        $this->pdo->exec(file_get_contents(__DIR__ . '/support/publish_fixture.sql'));
        $this->store = new Store($this->db->url);
        $this->log = tempnam(sys_get_temp_dir(), 'ocpizza-router');
    }

    protected function tearDown(): void
    {
        if ($this->server !== null) {
            proc_terminate($this->server);
            proc_close($this->server);
        }
        @unlink($this->log);
        $this->db->drop();
    }

    private function startBridge(array $failIds = []): string
    {
        $this->port = Processes::freePort();
        $env = getenv() + [];
        $env['OCPIZZA_ROUTER_SECRET'] = self::SECRET;
        $env['OCPIZZA_ROUTER_LOG'] = $this->log;
        $env['OCPIZZA_ROUTER_FAIL'] = implode(',', $failIds);
        $this->server = proc_open([PHP_BINARY, '-S', "127.0.0.1:{$this->port}", __DIR__ . '/support/bridge_router.php'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes, null, $env);
        // Bounded wait (at most ~10 s) until it accepts connections.
        for ($i = 0; $i < 1000; $i++) {
            $c = @stream_socket_client("tcp://127.0.0.1:{$this->port}", $errno, $errstr, 1);
            if ($c !== false) {
                fclose($c);

                return "http://127.0.0.1:{$this->port}";
            }
            usleep(10_000);
        }
        $this->fail('the stand-in bridge did not start');
    }

    /** @return list<array<string, mixed>> */
    private function requests(): array
    {
        return array_map(static fn ($l) => json_decode($l, true), array_filter(explode("\n", (string) file_get_contents($this->log))));
    }

    private function recordOrders(int $n): void
    {
        for ($i = 0; $i < $n; $i++) {
            $o = Orders::delivery(Orders::newId(), 'TESTA');
            $o['lines'][0]['sku'] = 'PIZZA-T-MARGHERITA';
            $this->store->recordOrder($o);
        }
    }

    private function outbox(): array
    {
        return $this->pdo->query('SELECT event_id, payload, published_at, attempts, last_error FROM outbox ORDER BY id')->fetchAll(\PDO::FETCH_ASSOC);
    }

    public function testPublishesEveryPendingEventSignedOnePerRequest(): void
    {
        $this->recordOrders(3);
        $url = $this->startBridge();
        $started = time();
        $this->assertSame(['published' => 3, 'failed' => 0, 'pending' => 0], $this->store->publishOutbox($url, self::SECRET));

        $requests = $this->requests();
        $rows = $this->outbox();
        $this->assertCount(3, $requests);
        foreach ($rows as $i => $row) {
            $r = $requests[$i];
            $this->assertSame(['POST', '/webhooks/prestashop', true], [$r['method'], $r['path'], $r['valid']], 'signed with the secret');
            $this->assertSame($row['event_id'], $r['id'], 'webhook-id = the event id');
            $this->assertSame(json_decode($row['payload'], true), json_decode($r['body'], true), 'body = the outbox payload');
            $this->assertStringStartsWith('application/json', $r['content_type']);
            $this->assertGreaterThanOrEqual($started, (int) $r['timestamp'], 'signed at sending time');
            $this->assertNotNull($row['published_at']);
        }
        $this->assertSame(['published' => 0, 'failed' => 0, 'pending' => 0], $this->store->publishOutbox($url, self::SECRET), 'nothing sent twice');
        $this->assertCount(3, $this->requests());
    }

    public function testMaxBoundsOneRun(): void
    {
        $this->recordOrders(3);
        $url = $this->startBridge();
        $this->assertSame(['published' => 2, 'failed' => 0, 'pending' => 1], $this->store->publishOutbox($url, self::SECRET, 2));
        $this->assertSame(['published' => 1, 'failed' => 0, 'pending' => 0], $this->store->publishOutbox($url, self::SECRET, 2));
    }

    public function testAClosedPortLosesNothingAndRecordsTheAttempt(): void
    {
        $this->recordOrders(2);
        $closed = 'http://bridge:s3cr3t-pw@127.0.0.1:' . Processes::freePort();
        $r = $this->store->publishOutbox($closed, self::SECRET);
        $this->assertSame(0, $r['published']);
        $this->assertGreaterThanOrEqual(1, $r['failed']);
        $this->assertSame(2, $r['pending'], 'nothing lost');
        $first = $this->outbox()[0];
        $this->assertNull($first['published_at']);
        $this->assertSame(1, (int) $first['attempts']);
        $this->assertNotEmpty($first['last_error']);
        $this->assertStringNotContainsString('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', (string) $first['last_error']);
        $this->assertStringNotContainsString('s3cr3t-pw', (string) $first['last_error']);

        // Later, the bridge is up: everything goes, re-signed with a fresh timestamp.
        sleep(1); // so that a timestamp from the first attempt would be visibly older
        $url = $this->startBridge();
        $retry = time();
        $this->assertSame(['published' => 2, 'failed' => 0, 'pending' => 0], $this->store->publishOutbox($url, self::SECRET));
        foreach ($this->requests() as $req) {
            $this->assertTrue($req['valid']);
            $this->assertGreaterThanOrEqual($retry, (int) $req['timestamp']);
        }
    }

    public function testARefusedEventStaysPendingWithItsError(): void
    {
        $this->recordOrders(1);
        $eventId = $this->outbox()[0]['event_id'];
        $url = $this->startBridge([$eventId]);
        $r = $this->store->publishOutbox($url, self::SECRET);
        $this->assertSame([0, 1, 1], [$r['published'], $r['failed'], $r['pending']]);
        $row = $this->outbox()[0];
        $this->assertNull($row['published_at']);
        $this->assertStringContainsString('503', (string) $row['last_error']);
    }

    public function testBadArgumentsAreValidationErrors(): void
    {
        foreach ([['ftp://127.0.0.1/', self::SECRET, 10, 'bridge_url'], ['http://127.0.0.1:1', 'whsec_???', 10, 'secret'],
            ['http://127.0.0.1:1', self::SECRET, 0, 'max']] as [$url, $secret, $max, $field]) {
            try {
                $this->store->publishOutbox($url, $secret, $max);
                $this->fail("no exception for $field");
            } catch (ValidationException $e) {
                $this->assertSame($field, $e->field);
                $this->assertStringNotContainsString('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', $e->getMessage());
            }
        }
    }

    public function testUnreachableOrRefusingDatabasesAreDbExceptionsWithoutCredentials(): void
    {
        $closed = Processes::freePort();
        foreach (["mysql://shop:s3cr3t-pw@127.0.0.1:$closed/ocpizza", rtrim(TestDatabase::server(), '/') . '/no_such_database_' . getmypid(),
            preg_replace('#^mysql://[^@/]*@#', 'mysql://nobody:s3cr3t-pw@', TestDatabase::server()) . '/ocpizza'] as $url) {
            $store = new Store($url);
            try {
                $store->restaurants();
                $this->fail("no exception for $url");
            } catch (DbException $e) {
                $this->assertStringNotContainsString('s3cr3t-pw', $e->getMessage());
                $this->assertNotSame('', $e->getMessage());
            }
        }
    }

    public function testABadUrlIsRefusedAtConstructionWithoutItsPassword(): void
    {
        foreach (['postgres://u:s3cr3t-pw@127.0.0.1/db', 'not a url', 'mysql://u:s3cr3t-pw@127.0.0.1:notaport/db'] as $url) {
            try {
                new Store($url);
                $this->fail("no exception for $url");
            } catch (ValidationException $e) {
                $this->assertSame('databaseUrl', $e->field);
                $this->assertStringNotContainsString('s3cr3t-pw', $e->getMessage());
            }
        }
    }
}
