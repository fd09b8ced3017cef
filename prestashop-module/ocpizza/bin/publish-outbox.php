<?php
/**
 * OC Pizza payment module: publishes OCPizza_DB's pending events to the bridge from the command line (no
 * bin/console needed), and records orders whose recording failed. For a system cron:
 *   * * * * * www-data php /var/www/prestashop/modules/ocpizza/bin/publish-outbox.php
 * The shop root is two levels above the module folder, or PS_ROOT_DIR when set.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */
if (PHP_SAPI !== 'cli') {
    exit;
}
$root = getenv('PS_ROOT_DIR') ?: dirname(__DIR__, 3);
require_once $root . '/config/config.inc.php';
if (!defined('_PS_VERSION_')) {
    exit;
}

$module = Module::getInstanceByName('ocpizza');
if (!$module instanceof Ocpizza || !$module->active) {
    fwrite(STDERR, "ocpizza: module not installed or disabled\n");
    exit(2);
}
if (!$module->gateway()->isLoaded()) {
    fwrite(STDERR, "ocpizza: the ocpizza PHP extension is not loaded in this PHP (php --ri ocpizza)\n");
    exit(2);
}
$max = isset($argv[1]) ? max(1, (int) $argv[1]) : 100;
$module->retryRefunds(); // confirmed refunds OCPizza_DB missed
$counts = $module->publishOutboxNow($max);
if ($counts === null) {
    fwrite(STDERR, "ocpizza: nothing published (bridge URL, webhook secret or OCPizza_DB URL not set, or publishing failed: see the shop logs)\n");
    exit(1);
}
echo json_encode($counts), "\n";
exit(0);
