<?php
/**
 * phpunit bootstrap for the OC Pizza module tests. Loads NO PrestaShop class: the logic tests run on the module's
 * plain classes only. Glue tests (tests/module/Glue) load the PrestaShop stand-in themselves (GlueTestCase).
 */
if (!defined('_PS_VERSION_')) {
    // The module's files exit without it (PrestaShop's guard); the logic tests are not in a shop.
    define('_PS_VERSION_', '8.2.0');
}
define('OCPIZZA_MODULE_DIR', dirname(__DIR__, 2) . '/prestashop-module/ocpizza');

spl_autoload_register(static function ($class) {
    $map = [
        'OCPizzaModule\\Tests\\Support\\' => __DIR__ . '/support/',
        'OCPizzaModule\\Tests\\' => __DIR__ . '/',
        'OCPizzaModule\\' => OCPIZZA_MODULE_DIR . '/src/',
    ];
    foreach ($map as $prefix => $dir) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require_once $file;
            }

            return;
        }
    }
});
require_once __DIR__ . '/support/Fakes.php';
require_once __DIR__ . '/support/ExtensionExceptions.php';
