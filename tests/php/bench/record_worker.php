<?php
/**
 * One benchmark worker: `record_worker.php <ext|pdo> <dbUrl> <firstId> <count> <barrier> <out>`. Connects, records
 * 10 untimed warm-up orders, signals ready, waits for the barrier, then records <count> orders and writes
 * "start end" (hrtime ns) and one latency (ns) per line to <out>.
 */

declare(strict_types=1);

require __DIR__ . '/../support/Orders.php';
require __DIR__ . '/pdo_store.php';

[, $mode, $url, $firstId, $count, $barrier, $out] = $argv;
$firstId = (int) $firstId;
$count = (int) $count;
const RESTAURANTS = ['BELLECOUR', 'CROIX-ROUSSE', 'PART-DIEU', 'VAISE', 'GERLAND'];

if ($mode === 'ext') {
    $store = new OCPizza\Store($url);
    $record = static fn (array $o): array => $store->recordOrder($o);
} else {
    $pdo = pdo_connect($url);
    $record = static fn (array $o): array => pdo_record_order($pdo, $o);
}
$order = static fn (int $id): array => OCPizza\Tests\Orders::delivery($id, RESTAURANTS[$id % 5]);

for ($i = 0; $i < 10; $i++) {
    $record($order($firstId + $count + $i));
}
touch("$barrier.ready." . getmypid());
for ($i = 0; !file_exists($barrier) && $i < 600_000; $i++) {
    usleep(50);
}
$lat = [];
$start = hrtime(true);
for ($i = 0; $i < $count; $i++) {
    $o = $order($firstId + $i);
    $t = hrtime(true);
    $r = $record($o);
    $lat[] = hrtime(true) - $t;
    if (!$r['created']) {
        fwrite(STDERR, "order {$o['shop_order_id']} was not created\n");
        exit(1);
    }
}
$end = hrtime(true);
file_put_contents($out, "$start $end\n" . implode("\n", $lat) . "\n");
