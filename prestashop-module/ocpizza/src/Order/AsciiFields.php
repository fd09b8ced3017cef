<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Order;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The module's own check of the values that reach OCPizza_DB's ascii_bin columns (issue 14): restaurant code, SKUs,
 * currency, references. The patterns are the database's CHECK constraints. A PrestaShop product reference may hold
 * any text ("Pizza Reine", "PIZZA-É"): such a value is refused here, naming the field, before the extension is
 * called, so that it is never mistaken for a database failure (and never retried).
 */
final class AsciiFields
{
    public const RESTAURANT = '/^[A-Z0-9][A-Z0-9-]{1,15}$/';
    public const SKU = '/^[A-Z0-9][A-Z0-9_-]{0,63}$/';
    public const CURRENCY = '/^[A-Z]{3}$/';
    public const REFERENCE = '/^[A-Za-z0-9_-]{1,32}$/';
    public const TRANSACTION_KEY = '/^[\x21-\x7e]{1,128}$/';

    /** @throws InvalidOrderField */
    public static function restaurant(string $code, string $field = 'restaurant'): void
    {
        self::match($code, self::RESTAURANT, $field, 'is not a restaurant code (A-Z, 0-9 and -, 2 to 16 characters)');
    }

    /**
     * The fields of a recordOrder array (OrderArrayBuilder's output).
     *
     * @throws InvalidOrderField
     */
    public static function order(array $order): void
    {
        self::match((string) ($order['reference'] ?? ''), self::REFERENCE, 'reference', 'must be 1 to 32 letters, digits, _ or -');
        self::restaurant((string) ($order['restaurant'] ?? ''));
        self::currency((string) ($order['currency'] ?? ''));
        foreach ((array) ($order['lines'] ?? []) as $i => $line) {
            if (is_array($line) && array_key_exists('sku', $line)) {
                self::match((string) $line['sku'], self::SKU, 'lines[' . $i . '].sku', 'is not a product SKU (A-Z, 0-9, _ and -): fix the product reference in PrestaShop');
            }
        }
    }

    /**
     * The fields of a recordPayment array.
     *
     * @throws InvalidOrderField
     */
    public static function payment(array $payment): void
    {
        self::currency((string) ($payment['currency'] ?? ''));
        self::match((string) ($payment['transaction_key'] ?? ''), self::TRANSACTION_KEY, 'transaction_key', 'must be 1 to 128 printable ASCII characters');
    }

    /** @throws InvalidOrderField */
    public static function currency(string $code, string $field = 'currency'): void
    {
        self::match($code, self::CURRENCY, $field, 'is not an ISO 4217 alphabetic code');
    }

    private static function match(string $value, string $pattern, string $field, string $reason): void
    {
        if (preg_match($pattern, $value) !== 1) {
            $shown = mb_substr((string) preg_replace('/[\x00-\x1f\x7f]/u', '?', mb_check_encoding($value, 'UTF-8') ? $value : '(not UTF-8)'), 0, 40);
            throw new InvalidOrderField($field, sprintf('%s: %s (got "%s")', $field, $reason, $shown));
        }
    }
}
