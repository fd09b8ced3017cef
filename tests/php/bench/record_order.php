<?php
/**
 * recordOrder benchmark: OCPizza\Store::recordOrder against the same writes in plain PHP with PDO (pdo_store.php),
 * with 1 and 8 concurrent PHP processes, each configuration on its own fresh seeded database (stock raised so
 * that no order runs short). Bounded: --orders per process (default 300) plus 10 warm-up orders each.
 *
 *   cargo build --release -p ocpizza-ext && cargo build -p ocpizza-bridge
 *   php -d extension=$PWD/target/release/libocpizza.so tests/php/bench/record_order.php [--orders=300] [--procs=1,8]
 */

declare(strict_types=1);

require __DIR__ . '/../support/TestDatabase.php';
require __DIR__ . '/../support/Processes.php';

use OCPizza\Tests\Processes;
use OCPizza\Tests\TestDatabase;

if (!extension_loaded('ocpizza')) {
    fwrite(STDERR, "load the extension: php -d extension=\$PWD/target/release/libocpizza.so …\n");
    exit(1);
}
$opts = getopt('', ['orders::', 'procs::']);
$perProc = max(1, min(5000, (int) ($opts['orders'] ?? 300)));
$procList = array_map('intval', explode(',', (string) ($opts['procs'] ?? '1,8')));

function percentile(array $sorted, float $p): float
{
    return $sorted[(int) min(count($sorted) - 1, max(0, ceil($p / 100 * count($sorted)) - 1))];
}

function run(string $mode, int $procs, int $perProc): array
{
    $db = TestDatabase::create("bench$mode$procs");
    try {
        $pdo = TestDatabase::pdo($db->name);
        $pdo->exec('UPDATE stock SET quantity = 100000000');
        $barrier = sys_get_temp_dir() . '/ocpizza-bench-' . bin2hex(random_bytes(6));
        $children = [];
        $outs = [];
        for ($p = 0; $p < $procs; $p++) {
            $outs[$p] = "$barrier.out.$p";
            $first = 900_000_000 + $p * 100_000;
            $children[] = Processes::start(__DIR__ . '/record_worker.php', [$mode, $db->url, (string) $first, (string) $perProc, $barrier, $outs[$p]]);
        }
        for ($i = 0; count(glob("$barrier.ready.*") ?: []) < $procs && $i < 6000; $i++) {
            usleep(10_000);
        }
        touch($barrier);
        foreach ($children as $child) {
            [$status, $out, $err] = Processes::finish($child);
            if ($status !== 0) {
                throw new RuntimeException("worker failed: $out $err");
            }
        }
        $lat = [];
        $start = PHP_INT_MAX;
        $end = 0;
        foreach ($outs as $f) {
            $lines = file($f, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES);
            [$s, $e] = array_map('intval', explode(' ', array_shift($lines)));
            $start = min($start, $s);
            $end = max($end, $e);
            foreach ($lines as $l) {
                $lat[] = (int) $l;
            }
            unlink($f);
        }
        array_map('unlink', array_merge([$barrier], glob("$barrier.ready.*") ?: []));
        // Both variants must have written the same thing.
        $expected = $procs * ($perProc + 10);
        $orders = (int) $pdo->query('SELECT COUNT(*) FROM orders WHERE shop_order_id >= 900000000')->fetchColumn();
        $events = (int) $pdo->query('SELECT COUNT(*) FROM outbox WHERE shop_order_id >= 900000000')->fetchColumn();
        if ($orders !== $expected || $events !== $expected) {
            throw new RuntimeException("$mode: expected $expected orders and events, found $orders and $events");
        }
        sort($lat);

        return ['p50' => percentile($lat, 50) / 1e6, 'p99' => percentile($lat, 99) / 1e6,
            'throughput' => count($lat) / (($end - $start) / 1e9), 'n' => count($lat)];
    } finally {
        $db->drop();
    }
}

printf("recordOrder, %d orders per process (+10 warm-up), php %s, extension %s\n", $perProc, PHP_VERSION, phpversion('ocpizza'));
printf("%-6s %-5s %10s %10s %14s\n", 'procs', 'impl', 'p50 ms', 'p99 ms', 'orders/s');
foreach ($procList as $procs) {
    $r = [];
    foreach (['ext', 'pdo'] as $mode) {
        $r[$mode] = run($mode, $procs, $perProc);
        printf("%-6d %-5s %10.3f %10.3f %14.1f\n", $procs, $mode, $r[$mode]['p50'], $r[$mode]['p99'], $r[$mode]['throughput']);
    }
    printf("%-6d ratio ext/pdo: p50 %.2f×, throughput %.2f×\n", $procs, $r['ext']['p50'] / $r['pdo']['p50'], $r['ext']['throughput'] / $r['pdo']['throughput']);
}
