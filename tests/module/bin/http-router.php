<?php
/**
 * Router for `php -S` in the HTTP tests: dispatches index.php?fc=module&module=ocpizza&controller=… to the module's
 * front controller on the PrestaShop STAND-IN, as PrestaShop's dispatcher would. Environment as child-bootstrap.php,
 * plus OCPIZZA_FAIL_RECORD=1 to make OCPizza_DB refuse recordOrder (database down).
 */
require __DIR__ . '/child-bootstrap.php';
StandIn::$throwOnRedirect = false; // a real Location header and exit, as PrestaShop over HTTP
if (getenv('OCPIZZA_FAIL_RECORD') === '1') {
    $gateway->failAlways['recordOrder'] = new \OCPizza\DbException('OCPizza_DB: connection refused');
}
$name = (string) ($_GET['controller'] ?? '');
if (($_GET['fc'] ?? '') !== 'module' || ($_GET['module'] ?? '') !== 'ocpizza' || !in_array($name, ['ipn', 'cron', 'return'], true)) {
    http_response_code(404);
    exit;
}
require OCPIZZA_MODULE_DIR . '/controllers/front/' . $name . '.php';
$class = 'Ocpizza' . ucfirst($name) . 'ModuleFrontController';
FrontController::$initialized = false;
$controller = new $class();
if (property_exists($controller, 'pollAttempts')) {
    $controller->pollAttempts = 1;
}
$controller->run();
