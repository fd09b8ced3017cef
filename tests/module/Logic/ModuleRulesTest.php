<?php

namespace OCPizzaModule\Tests\Logic;

use PHPUnit\Framework\TestCase;

/**
 * PrestaShop's module-validator rules that can be checked on the files: syntax, guards, index.php everywhere,
 * escaping in templates, input only through Tools::getValue (except the two documented raw reads of signed
 * fields), no request input in SQL, French translation of every string, and the shipped zip's content.
 */
final class ModuleRulesTest extends TestCase
{
    /** @return string[] */
    private static function files(string $suffix): array
    {
        $out = [];
        $it = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator(OCPIZZA_MODULE_DIR, \FilesystemIterator::SKIP_DOTS));
        foreach ($it as $f) {
            if (substr((string) $f, -strlen($suffix)) === $suffix) {
                $out[] = (string) $f;
            }
        }
        sort($out);

        return $out;
    }

    private static function relative(string $path): string
    {
        return substr($path, strlen(OCPIZZA_MODULE_DIR) + 1);
    }

    public function testEveryPhpFileLints(): void
    {
        $files = self::files('.php');
        $this->assertGreaterThan(40, count($files));
        foreach ($files as $file) {
            exec(escapeshellarg(PHP_BINARY) . ' -n -l ' . escapeshellarg($file) . ' 2>&1', $out, $code);
            $this->assertSame(0, $code, self::relative($file) . ': ' . implode("\n", $out));
        }
    }

    public function testEveryPhpFileHasThePrestaShopGuard(): void
    {
        foreach (self::files('.php') as $file) {
            if (basename($file) === 'index.php') {
                $this->assertStringContainsString("header('Location: ../');\nexit;", (string) file_get_contents($file), self::relative($file));
                continue;
            }
            $this->assertStringContainsString("if (!defined('_PS_VERSION_')) {\n    exit;\n}", (string) file_get_contents($file), self::relative($file));
        }
    }

    public function testEveryDirectoryHasAnIndexGuard(): void
    {
        $dirs = [OCPIZZA_MODULE_DIR];
        $it = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator(OCPIZZA_MODULE_DIR, \FilesystemIterator::SKIP_DOTS), \RecursiveIteratorIterator::SELF_FIRST);
        foreach ($it as $f) {
            if ($f->isDir()) {
                $dirs[] = (string) $f;
            }
        }
        foreach ($dirs as $dir) {
            $this->assertFileExists($dir . '/index.php');
        }
    }

    public function testTemplatesEscapeEveryOutput(): void
    {
        foreach (self::files('.tpl') as $file) {
            preg_match_all('/\{\$[^}]*\}/', (string) file_get_contents($file), $m);
            foreach ($m[0] as $output) {
                $this->assertStringContainsString("|escape:'htmlall':'UTF-8'", $output, self::relative($file) . ': ' . $output);
            }
        }
    }

    public function testRequestInputOnlyThroughToolsAndNeverInSql(): void
    {
        // No exception (issue 10): PrestaShop's module validator refuses direct superglobals; the IPN and the return
        // read the gateway's exact values with Tools::getAllValues().
        foreach (self::files('.php') as $file) {
            $code = (string) file_get_contents($file);
            $this->assertDoesNotMatchRegularExpression('/\$_(POST|GET|REQUEST|COOKIE|FILES)\b/', $code, self::relative($file));
            foreach (explode("\n", $code) as $n => $line) {
                if (preg_match('/\b(SELECT|INSERT|UPDATE|DELETE|REPLACE)\b/', $line) === 1) {
                    $this->assertDoesNotMatchRegularExpression('/Tools::getValue|\$_(POST|GET)/', $line, self::relative($file) . ':' . ($n + 1));
                }
            }
        }
    }

    public function testEveryStringHasItsFrenchTranslation(): void
    {
        require_once dirname(__DIR__) . '/bin/TranslationScanner.php';
        $_MODULE = [];
        include OCPIZZA_MODULE_DIR . '/translations/fr.php';
        $strings = \TranslationScanner::scan(OCPIZZA_MODULE_DIR);
        $this->assertGreaterThan(60, count($strings));
        foreach ($strings as $key => $entry) {
            $this->assertArrayHasKey($key, $_MODULE, 'no French for ' . $entry['source'] . ': ' . $entry['text'] . ' (run php tests/module/bin/translations.php)');
            if (!in_array($entry['text'], ['Mode', 'OCPizza_DB'], true)) { // the same words in French
                $this->assertNotSame($entry['text'], $_MODULE[$key], 'not translated: ' . $entry['text']);
            }
        }
        $this->assertSame([], array_diff_key($_MODULE, $strings), 'stale translations');
    }

    public function testShippedZipHoldsTheModuleFolderOnly(): void
    {
        if (trim((string) shell_exec('command -v zip')) === '') {
            $this->markTestSkipped('zip is not installed (apt-get install -y zip)');
        }
        $zip = sys_get_temp_dir() . '/ocpizza-test-' . getmypid() . '.zip';
        exec(escapeshellarg(dirname(OCPIZZA_MODULE_DIR) . '/build-zip.sh') . ' ' . escapeshellarg($zip) . ' 2>&1', $out, $code);
        $this->assertSame(0, $code, implode("\n", $out));
        exec('unzip -Z1 ' . escapeshellarg($zip), $entries, $code);
        unlink($zip);
        $this->assertSame(0, $code);
        foreach ($entries as $e) {
            $this->assertStringStartsWith('ocpizza/', $e);
            $this->assertDoesNotMatchRegularExpression('#(^|/)(tests?|\.git|vendor/bin)(/|$)#', $e);
        }
        foreach (['ocpizza/ocpizza.php', 'ocpizza/config.xml', 'ocpizza/logo.png', 'ocpizza/index.php', 'ocpizza/controllers/front/ipn.php',
            'ocpizza/translations/fr.php', 'ocpizza/sql/install.sql', 'ocpizza/views/templates/front/redirect.tpl'] as $required) {
            $this->assertContains($required, $entries);
        }
    }
}
