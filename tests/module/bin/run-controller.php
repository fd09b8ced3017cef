<?php
/**
 * Runs one module front controller in its own PHP process, as one HTTP request would, after waiting for a start
 * file (so that two processes start together). Prints {"status":…, "body":…, "redirect":…} as JSON.
 * argv: controller, JSON of $_GET, JSON of $_POST, HTTP method, start file.
 */
require __DIR__ . '/child-bootstrap.php';

[, $name, $get, $post, $method, $startFile] = $argv;
$_GET = json_decode($get, true) + ['fc' => 'module', 'module' => 'ocpizza', 'controller' => $name];
$_POST = json_decode($post, true);
$_SERVER['REQUEST_METHOD'] = $method;
touch($startFile . '.ready-' . $name); // loaded and connected: the parent starts both together
for ($i = 0; $i < 10000 && !file_exists($startFile); ++$i) {
    usleep(1000); // bounded: 10 s at most
}
require OCPIZZA_MODULE_DIR . '/controllers/front/' . $name . '.php';
$class = 'Ocpizza' . ucfirst($name) . 'ModuleFrontController';
ob_start();
$redirect = null;
try {
    $controller = new $class();
    if (property_exists($controller, 'pollAttempts')) {
        $controller->pollAttempts = 1; // race the IPN instead of waiting for it
    }
    $controller->run();
} catch (StandInRedirect $r) {
    $redirect = $r->url;
}
$body = '';
while (ob_get_level() > 0) { // FrontController::init() opened a buffer of its own
    $body = (string) ob_get_clean() . $body;
}
$status = property_exists($controller, 'ipnResponse') && $controller->ipnResponse ? $controller->ipnResponse->httpStatus : 200;
echo json_encode(['status' => $status, 'body' => $body, 'redirect' => $redirect]);
