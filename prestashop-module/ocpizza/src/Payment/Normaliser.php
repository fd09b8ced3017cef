<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Payment;

if (!defined('_PS_VERSION_')) {
    exit;
}


/**
 * Normalises an outgoing vads_* value BEFORE it is signed, so that the signed bytes are the posted bytes:
 * UTF-8, trimmed, without < and >, whitespace runs collapsed to one space (what the gateway's own module does).
 */
final class Normaliser
{
    public static function value(string $value): string
    {
        if (!mb_check_encoding($value, 'UTF-8')) {
            // Shop data in another encoding (old imports): assume Latin-1 rather than sending invalid bytes.
            $value = mb_convert_encoding($value, 'UTF-8', 'ISO-8859-1');
        }
        $value = str_replace(['<', '>'], '', $value);
        $value = (string) preg_replace('/\s+/u', ' ', $value);

        return trim($value);
    }

    /** @param array<string, string|int> $fields */
    public static function fields(array $fields): array
    {
        $out = [];
        foreach ($fields as $name => $value) {
            $out[$name] = self::value((string) $value);
        }

        return $out;
    }
}
