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
 * Amounts in integer minor units of a currency (its number of decimals), the only form the module compares.
 */
final class Money
{
    /** A shop amount (float or decimal string, as PrestaShop gives them) in minor units, rounded half up. */
    public static function toMinor($amount, int $decimals): int
    {
        if ($decimals < 0 || $decimals > 4) {
            throw new \InvalidArgumentException('decimals: must be between 0 and 4');
        }
        // Through a fixed-precision string: 19.99 * 100 is 1998.9999… in floating point.
        $fixed = number_format((float) $amount, $decimals + 2, '.', '');

        return (int) round((float) $fixed * (10 ** $decimals), 0, PHP_ROUND_HALF_UP);
    }

    /** Minor units back to the decimal string validateOrder expects ("25.90" for 2590 with 2 decimals). */
    public static function fromMinor(int $minor, int $decimals): string
    {
        if ($decimals === 0) {
            return (string) $minor;
        }
        $sign = $minor < 0 ? '-' : '';
        $abs = (string) abs($minor);
        $abs = str_pad($abs, $decimals + 1, '0', STR_PAD_LEFT);

        return $sign . substr($abs, 0, -$decimals) . '.' . substr($abs, -$decimals);
    }
}
