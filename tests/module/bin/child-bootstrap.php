<?php
/**
 * Bootstrap of the child PHP processes the glue tests start (CLI script, concurrent controllers): the PrestaShop
 * STAND-IN on the test's database (OCPIZZA_STANDIN_DB), halts that really exit as PHP-FPM would, and the journalled
 * gateway double for OCPizza_DB (with the parser double when OCPIZZA_PARSER_DOUBLE=1).
 */
if (getenv('OCPIZZA_STANDIN_PS_VERSION')) {
    define('_PS_VERSION_', (string) getenv('OCPIZZA_STANDIN_PS_VERSION')); // the PrestaShop version the stand-in plays
}
require dirname(__DIR__) . '/bootstrap.php';
require dirname(__DIR__) . '/prestashop-standin/standin.php';
StandIn::$throwOnHalt = false;
StandInDatabase::use((string) getenv('OCPIZZA_STANDIN_DB'));
$_GET['module'] = 'ocpizza';
$module = Module::getInstanceByName('ocpizza');
$gateway = OCPizzaModule\Tests\Support\JournalGateway::lyon();
if (getenv('OCPIZZA_PARSER_DOUBLE') === '1') {
    $gateway->parser = OCPizzaModule\Tests\Support\ParserDouble::create();
}
$module->setGateway($gateway);
