<?php
/**
 * Finds the module's translatable strings as PrestaShop's legacy translation tool does: l('…') calls in PHP
 * ($this->l in the module class: source "ocpizza"; ->l('…', 'controller') elsewhere) and {l s='…' mod='ocpizza'}
 * in templates (source: the template's base name). Dev tool, not shipped.
 */
final class TranslationScanner
{
    /** @return array<string, array{source: string, text: string}> translation key => source and English text */
    public static function scan(string $moduleDir): array
    {
        $out = [];
        $it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($moduleDir, FilesystemIterator::SKIP_DOTS));
        foreach ($it as $file) {
            $path = (string) $file;
            $code = (string) file_get_contents($path);
            if (substr($path, -4) === '.php') {
                preg_match_all("/->l\\(\\s*'((?:[^'\\\\]|\\\\.)*)'\\s*(?:,\\s*'([a-z_]+)'\\s*)?\\)/", $code, $m, PREG_SET_ORDER);
                foreach ($m as $match) {
                    $source = $match[2] ?? '';
                    $source = $source !== '' ? $source : 'ocpizza';
                    $out += self::entry($source, $match[1]);
                }
            } elseif (substr($path, -4) === '.tpl') {
                preg_match_all("/\\{l s='((?:[^'\\\\]|\\\\.)*)'[^}]*mod='ocpizza'[^}]*\\}/", $code, $m, PREG_SET_ORDER);
                foreach ($m as $match) {
                    $out += self::entry(basename($path, '.tpl'), $match[1]);
                }
            }
        }
        ksort($out);

        return $out;
    }

    /** @param string $raw the literal as written in the source (quotes escaped) */
    private static function entry(string $source, string $raw): array
    {
        // PrestaShop hashes the string with its single quotes escaped, as written in the source.
        $key = strtolower('<{ocpizza}prestashop>' . $source) . '_' . md5(preg_replace("/\\\\*'/", "\\'", stripslashes($raw)));

        return [$key => ['source' => $source, 'text' => stripslashes($raw)]];
    }
}
