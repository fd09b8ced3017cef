<?php
/**
 * Bootstrap of the extension's phpunit suite: the extension must be loaded (this fails loudly otherwise), and one
 * fresh database per run is created on OCPIZZA_TEST_DATABASE_SERVER, migrated and seeded by the real
 * `ocpizza-bridge migrate` / `seed`, and dropped when the run ends.
 */

declare(strict_types=1);

require __DIR__ . '/support/TestDatabase.php';
require __DIR__ . '/support/Orders.php';
require __DIR__ . '/support/Processes.php';
require __DIR__ . '/support/StoreTestCase.php';

if (!extension_loaded('ocpizza')) {
    fwrite(STDERR, "The ocpizza extension is not loaded. Run:\n"
        . "  php -d extension=\$PWD/target/debug/libocpizza.so /usr/bin/phpunit -c tests/php/phpunit.xml\n");
    exit(1);
}

use OCPizza\Tests\TestDatabase;

$db = TestDatabase::create('run');
define('OCPIZZA_TEST_DB_URL', $db->url);
define('OCPIZZA_TEST_DB_NAME', $db->name);
register_shutdown_function(static function () use ($db): void {
    $db->drop();
});
