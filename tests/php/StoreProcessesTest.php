<?php

declare(strict_types=1);

use OCPizza\Store;
use OCPizza\Tests\Orders;
use OCPizza\Tests\Processes;
use OCPizza\Tests\StoreTestCase;

/** Several PHP processes on one database, and a forked PHP process: what php-fpm does. */
final class StoreProcessesTest extends StoreTestCase
{
    private const CHILDREN = 4;

    public function testProcessesRecordingTheSameOrderAtTheSameInstantWriteExactlyOne(): void
    {
        $id = Orders::newId();
        $barrier = sys_get_temp_dir() . '/ocpizza-barrier-' . bin2hex(random_bytes(6));
        $children = [];
        for ($i = 0; $i < self::CHILDREN; $i++) {
            $children[] = Processes::start(__DIR__ . '/support/record_order_child.php', [OCPIZZA_TEST_DB_URL, (string) $id, $barrier]);
        }
        try {
            // Bounded wait (at most ~20 s) for every child to be connected, then release them together.
            for ($i = 0; count(glob($barrier . '.ready.*') ?: []) < self::CHILDREN && $i < 2000; $i++) {
                usleep(10_000);
            }
            $this->assertCount(self::CHILDREN, glob($barrier . '.ready.*') ?: [], 'every child connected');
            touch($barrier);
            $results = [];
            foreach ($children as $child) {
                [$status, $out, $err] = Processes::finish($child);
                $this->assertSame(0, $status, "child failed: $out $err");
                $results[] = json_decode(trim($out), true);
            }
        } finally {
            foreach (array_merge([$barrier], glob($barrier . '.ready.*') ?: []) as $f) {
                @unlink($f);
            }
        }
        $this->assertSame(1, count(array_filter($results, static fn ($r) => $r['created'] === true)), json_encode($results));
        $this->assertCount(1, array_unique(array_column($results, 'order_id')), 'all see the same order');
        $this->assertSame(1, (int) self::scalar('SELECT COUNT(*) FROM orders WHERE shop_order_id = ?', [$id]));
        $this->assertSame(['order.created'], self::eventTypes($id));
        $this->assertSame(3, (int) self::scalar('SELECT COUNT(*) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.shop_order_id = ?', [$id]));
    }

    /**
     * A worker forked after the parent used the store (php-fpm forks after start-up; here even after use): the child
     * must build its own pool instead of sharing the parent's sockets, and the parent's pool must keep working.
     */
    public function testAForkedChildUsesItsOwnConnection(): void
    {
        if (!function_exists('pcntl_fork')) {
            $this->markTestSkipped('pcntl is not installed');
        }
        $store = new Store(OCPIZZA_TEST_DB_URL);
        $parentConn = $this->connectionId($store);
        $result = tempnam(sys_get_temp_dir(), 'ocpizza-fork');
        $id = Orders::newId();
        $pid = pcntl_fork();
        if ($pid === 0) {
            // Child: record an order, report, and leave without running the parent's shutdown functions (which
            // would drop the test database).
            try {
                $r = $store->recordOrder(Orders::delivery($id));
                file_put_contents($result, json_encode(['created' => $r['created'], 'conn' => $this->connectionId($store)]));
            } catch (Throwable $e) {
                file_put_contents($result, json_encode(['error' => $e->getMessage()]));
            }
            posix_kill(posix_getpid(), SIGKILL);
        }
        $this->assertGreaterThan(0, $pid);
        pcntl_waitpid($pid, $status);
        $child = json_decode((string) file_get_contents($result), true);
        unlink($result);
        $this->assertArrayNotHasKey('error', $child, (string) ($child['error'] ?? ''));
        $this->assertTrue($child['created']);
        $this->assertNotSame($parentConn, $child['conn'], 'the child opened its own connection');
        // The parent's pool still works after the child went away.
        $this->assertFalse($store->recordOrder(Orders::delivery($id))['created']);
        $this->assertSame([], array_diff($parentConn, $this->connectionId($store)), "the parent's connections survived the child");
    }

    /** The MariaDB connection id the store's pool uses (from the processlist of this test's database). */
    private function connectionId(Store $store): array
    {
        $store->restaurants();

        return array_map('intval', array_column(self::rows(
            "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID() ORDER BY id", [OCPIZZA_TEST_DB_NAME]), 'id'));
    }
}
