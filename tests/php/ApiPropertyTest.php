<?php

declare(strict_types=1);

use OCPizza\Tests\Processes;
use OCPizza\Tests\TestDatabase;
use PHPUnit\Framework\TestCase;

/**
 * Property-based test of the extension's whole public API (issue 14): generated inputs — arbitrary byte strings
 * (non-UTF-8, control characters, huge), near-misses of valid codes, ints, floats, null, bools, nested and
 * self-referencing arrays, objects, resources, and valid orders / payments / notifications with one part replaced
 * by such a value — fed to every `OCPizza\…` method and constructor of php-ext/stubs/ocpizza.stub.php, in a child
 * process (support/api_property_child.php) so that a crash is seen as one. The properties, per call:
 * - an argument of another type than declared is a \TypeError (the extension does not coerce scalars);
 * - otherwise the result has the declared shape, or the exception is one the method documents for bad input,
 *   a ValidationException names its field ("field: reason"), and no message contains the key or secret;
 * - never a DbException (the database is up: a DbException for bad input is the bug of issue 14), never another
 *   exception or error, never a crash.
 * Fixed seed and bounded count (about a second); OCPIZZA_PROPERTY_SEED / OCPIZZA_PROPERTY_CASES explore further.
 */
final class ApiPropertyTest extends TestCase
{
    private const SEED = 14;
    private const CASES = 1600;

    /** Runs the child on $dbUrl: [exit status, stdout lines, stderr, summary or null]. */
    private static function runChild(string $dbUrl, int $seed, int $cases): array
    {
        [$status, $out, $err] = Processes::finish(Processes::start(__DIR__ . '/support/api_property_child.php',
            [$dbUrl, (string) $seed, (string) $cases, (string) Processes::freePort()]));
        $lines = explode("\n", trim($out));
        $last = end($lines);
        $summary = str_starts_with((string) $last, 'SUMMARY ') ? json_decode(substr($last, 8), true) : null;

        return [$status, $lines, $err, $summary];
    }

    public function testEveryMethodAnswersGeneratedInputsOnlyAsDocumented(): void
    {
        $seed = (int) (getenv('OCPIZZA_PROPERTY_SEED') ?: self::SEED);
        $cases = (int) (getenv('OCPIZZA_PROPERTY_CASES') ?: self::CASES);
        $db = TestDatabase::create('prop');
        try {
            [$status, $lines, $err, $summary] = self::runChild($db->url, $seed, $cases);
        } finally {
            $db->drop();
        }
        $lastCase = '';
        foreach ($lines as $l) {
            $lastCase = str_starts_with($l, '#') ? $l : $lastCase;
        }
        $this->assertSame(0, $status, "the child died (seed $seed) during case $lastCase: " . substr($err, -2000));
        $this->assertIsArray($summary, "no summary (seed $seed), last case $lastCase: " . substr($err, -2000));
        $this->assertSame($cases, $summary['calls']);
        $this->assertSame([], $summary['violations'], "seed $seed: {$summary['violation_count']} violation(s)");
        $this->assertSame('', $err, 'nothing on stderr (no warning, no notice)');

        // The generator reaches every method, with the success path and the refusal path where both exist.
        $stats = $summary['stats'];
        $this->assertCount(16, $stats, 'every public method and the constructor');
        foreach ($stats as $method => $outcomes) {
            if ($method !== 'Store::restaurants') {
                $this->assertArrayHasKey('TypeError', $outcomes, $method);
            }
            if (!in_array($method, ['SogeCommerce::krHash', 'SogeCommerce::verifyKrHash', 'Store::restaurants'], true)) {
                $this->assertArrayHasKey('OCPizza\ValidationException', $outcomes, $method);
            }
            if ($method === 'SogeCommerce::cancelOrRefund') {
                // No gateway here (loopback, closed port): its success path is tests/tests/sogecommerce_refund.rs.
                $this->assertArrayHasKey('OCPizza\GatewayException', $outcomes, $method);
                continue;
            }
            $this->assertArrayHasKey('ok', $outcomes, $method);
        }
        $this->assertArrayHasKey('OCPizza\SignatureException', $stats['SogeCommerce::parseNotification']);
        $this->assertArrayHasKey('OCPizza\SignatureException', $stats['SogeCommerce::parseRestNotification']);
    }

    /**
     * The harness can fail: with the database missing, every Store call that reaches it throws a DbException,
     * which the child must report as a violation (it is one when the database is up).
     */
    public function testTheHarnessReportsADbExceptionAsAViolation(): void
    {
        // A database that does not exist: refused at once by the server (a closed port would cost the pool's
        // acquire timeout per call).
        $down = rtrim(TestDatabase::server(), '/') . '/ocpizza_php_absent_' . bin2hex(random_bytes(4));
        [$status, , $err, $summary] = self::runChild($down, self::SEED, 130);
        $this->assertSame(0, $status, $err);
        $this->assertGreaterThan(0, $summary['violation_count']);
        $this->assertStringContainsString('undocumented OCPizza\DbException', implode("\n", $summary['violations']));
    }
}
