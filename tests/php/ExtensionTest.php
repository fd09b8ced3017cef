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
            'OCPizza\SignatureException', 'OCPizza\ValidationException', 'OCPizza\DbException'] as $class) {
            $this->assertTrue(class_exists($class, false), $class);
            $this->assertSame((new ReflectionClass($class))->getExtensionName(), 'ocpizza', $class);
        }
    }

    public function testExceptionsShareOneParentThatExtendsException(): void
    {
        $this->assertSame(\Exception::class, get_parent_class(OCPizza\Exception::class));
        foreach (['SignatureException', 'ValidationException', 'DbException'] as $name) {
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
