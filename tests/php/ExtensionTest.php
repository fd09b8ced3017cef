<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;

/** The module itself: loaded under its name, versioned, classes and exception hierarchy as the stubs say. */
final class ExtensionTest extends TestCase
{
    public function testTheExtensionIsLoadedWithTheCrateVersion(): void
    {
        $this->assertTrue(extension_loaded('ocpizza'));
        $cargo = (string) file_get_contents(dirname(__DIR__, 2) . '/Cargo.toml');
        $this->assertSame(1, preg_match('/^\[workspace\.package\][^\[]*?^version\s*=\s*"([^"]+)"/ms', $cargo, $m));
        $this->assertSame($m[1], phpversion('ocpizza'));
    }

    public function testEveryPublicClassExists(): void
    {
        foreach (['OCPizza\SogeCommerce', 'OCPizza\Webhooks', 'OCPizza\Store', 'OCPizza\Exception',
            'OCPizza\SignatureException', 'OCPizza\ValidationException', 'OCPizza\DbException',
            'OCPizza\GatewayException'] as $class) {
            $this->assertTrue(class_exists($class, false), $class);
            $this->assertSame((new ReflectionClass($class))->getExtensionName(), 'ocpizza', $class);
        }
    }

    public function testExceptionsShareOneParentThatExtendsException(): void
    {
        $this->assertSame(\Exception::class, get_parent_class(OCPizza\Exception::class));
        foreach (['SignatureException', 'ValidationException', 'DbException', 'GatewayException'] as $name) {
            $this->assertSame(OCPizza\Exception::class, get_parent_class('OCPizza\\' . $name));
        }
    }

    public function testExceptionsCanBeConstructedFromPhpLikeAnyException(): void
    {
        $e = new OCPizza\ValidationException('vads_amount: bad', 7);
        $this->assertSame('vads_amount: bad', $e->getMessage());
        $this->assertSame(7, $e->getCode());
        $this->assertSame('', $e->field);
        $this->assertSame(__FILE__, $e->getFile());
        $g = new OCPizza\GatewayException('refused');
        $this->assertSame('', $g->errorCode);
    }

    /**
     * A Rust panic must reach PHP as an `OCPizza\Exception`, never as a crashed worker. Nothing in the public API
     * is known to panic, so the debug build (the one the tests load) has `ocpizza_debug_panic()`, which panics
     * inside the same guard every entry point uses; it runs in a child process so that the panic's report on
     * stderr (kept: it is what an operator needs) does not clutter this run.
     */
    public function testAPanicInsideTheExtensionBecomesAnExceptionAndTheWorkerCarriesOn(): void
    {
        if (!function_exists('ocpizza_debug_panic')) {
            $this->markTestSkipped('release build: ocpizza_debug_panic() exists in debug builds only');
        }
        require_once __DIR__ . '/support/Processes.php';
        [$status, $out, $err] = OCPizza\Tests\Processes::finish(
            OCPizza\Tests\Processes::start(__DIR__ . '/support/panic_child.php')
        );
        $this->assertSame(0, $status, "the PHP process must survive the panic: $err");
        $lines = explode("\n", trim($out));
        $this->assertSame('OCPizza\Exception|internal error: deliberate panic for the test', $lines[0]);
        $this->assertSame(OCPizza\SogeCommerce::krHash('{"a":1}', 'key'), $lines[1]);
        $this->assertSame('validation still thrown', $lines[2]);
        $this->assertStringContainsString('deliberate panic for the test', $err, 'the panic is reported on stderr');
    }

    public function testThrownExceptionsPointAtTheCallingLine(): void
    {
        try {
            $line = __LINE__ + 1;
            OCPizza\SogeCommerce::sign([], 'k', 'MD5');
            $this->fail('no exception');
        } catch (OCPizza\ValidationException $e) {
            $this->assertSame(__FILE__, $e->getFile());
            $this->assertSame($line, $e->getLine());
        }
    }

    /** @dataProvider signatures */
    public function testMethodSignaturesMatchTheContract(string $class, string $method, string $expected): void
    {
        $m = new ReflectionMethod($class, $method);
        $params = array_map(static function (ReflectionParameter $p): string {
            $s = ($p->getType() !== null ? $p->getType() . ' ' : '') . '$' . $p->getName();
            if ($p->isDefaultValueAvailable()) {
                $s .= ' = ' . var_export($p->getDefaultValue(), true);
            }

            return $s;
        }, $m->getParameters());
        $this->assertSame($expected, ($m->isStatic() ? 'static ' : '') . $method . '(' . implode(', ', $params) . ')');
    }

    public function signatures(): array
    {
        return [
            ['OCPizza\SogeCommerce', 'sign', "static sign(array \$fields, string \$key, string \$algorithm = 'HMAC-SHA-256')"],
            ['OCPizza\SogeCommerce', 'verify', "static verify(array \$fields, string \$key, string \$algorithm = 'HMAC-SHA-256')"],
            ['OCPizza\SogeCommerce', 'krHash', 'static krHash(string $krAnswer, string $key)'],
            ['OCPizza\SogeCommerce', 'verifyKrHash', 'static verifyKrHash(string $krAnswer, string $krHash, string $key)'],
            ['OCPizza\SogeCommerce', 'parseNotification', "static parseNotification(array \$post, string \$key, string \$mode, string \$algorithm = 'HMAC-SHA-256')"],
            ['OCPizza\Webhooks', 'sign', 'static sign(string $secret, string $msgId, int $timestamp, string $body)'],
            ['OCPizza\Store', '__construct', '__construct(string $databaseUrl)'],
            ['OCPizza\Store', 'recordOrder', 'recordOrder(array $order)'],
            ['OCPizza\Store', 'recordPayment', 'recordPayment(array $payment)'],
            ['OCPizza\Store', 'setStatus', 'setStatus(int $shopOrderId, string $status, ?string $note = NULL)'],
            ['OCPizza\Store', 'availableProducts', 'availableProducts(string $restaurant)'],
            ['OCPizza\Store', 'restaurants', 'restaurants()'],
            ['OCPizza\Store', 'publishOutbox', 'publishOutbox(string $bridgeUrl, string $secret, int $max = 100)'],
        ];
    }
}
