<?php
/**
 * Child of StoreProcessesTest: connects first, signals it is ready, waits for the barrier file, then records the
 * order and prints the result as JSON. Usage: php -d extension=… record_order_child.php <dbUrl> <shopOrderId> <barrier>
 */

declare(strict_types=1);

require __DIR__ . '/Orders.php';

[, $url, $id, $barrier] = $argv;
$store = new OCPizza\Store($url);
$store->restaurants(); // the connection is open before the barrier: both children then race on the write itself
touch($barrier . '.ready.' . getmypid());
for ($i = 0; !file_exists($barrier) && $i < 200_000; $i++) {
    usleep(100);
}
try {
    echo json_encode($store->recordOrder(OCPizza\Tests\Orders::delivery((int) $id))), "\n";
} catch (Throwable $e) {
    echo json_encode(['error' => get_class($e) . ': ' . $e->getMessage()]), "\n";
    exit(1);
}
