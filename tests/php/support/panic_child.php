<?php
// Child of ExtensionTest::testAPanicInsideTheExtensionBecomesAnExceptionAndTheWorkerCarriesOn: a Rust panic
// raised inside the extension's guard, then ordinary calls, then a clean exit.
declare(strict_types=1);

try {
    ocpizza_debug_panic('deliberate panic for the test');
    echo "no exception\n";
} catch (OCPizza\Exception $e) {
    echo get_class($e), '|', $e->getMessage(), "\n";
}
// The worker is still sound: the extension answers the next calls as usual.
echo OCPizza\SogeCommerce::krHash('{"a":1}', 'key'), "\n";
try {
    OCPizza\SogeCommerce::sign([], 'k', 'MD5');
} catch (OCPizza\ValidationException $e) {
    echo "validation still thrown\n";
}
exit(0);
