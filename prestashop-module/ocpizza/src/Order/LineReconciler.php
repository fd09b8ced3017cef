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
 * OCPizza_DB refuses an order whose lines (quantity × unit price) do not add up to its total. PrestaShop rounds
 * per item, per line or on the total (PS_ROUND_TYPE), so unit prices rounded to cents can be a cent or two off.
 * The difference is carried by one unit of the last product line, split off as its own line, so that every
 * line stays an honest price and the sum is exact.
 */
final class LineReconciler
{
    /** Largest difference (minor units) explained by rounding; beyond it the lines are wrong and must not be hidden. */
    public const MAX_ROUNDING = 5;

    /**
     * @param array<int, array> $lines order lines (kind, sku, name, quantity, unit_price_cents, vat_rate)
     *
     * @return array<int, array> the lines, summing exactly to $totalCents
     *
     * @throws \UnexpectedValueException when the difference is more than rounding
     */
    public static function reconcile(array $lines, int $totalCents): array
    {
        $sum = 0;
        foreach ($lines as $l) {
            $sum += (int) $l['quantity'] * (int) $l['unit_price_cents'];
        }
        $diff = $totalCents - $sum;
        if ($diff === 0) {
            return $lines;
        }
        if (abs($diff) > self::MAX_ROUNDING) {
            throw new \UnexpectedValueException('total_cents: lines sum to ' . $sum . ', order total is ' . $totalCents);
        }
        for ($i = count($lines) - 1; $i >= 0; --$i) {
            $l = $lines[$i];
            if (($l['kind'] ?? 'product') !== 'product' || (int) $l['unit_price_cents'] + $diff < 0) {
                continue;
            }
            if ((int) $l['quantity'] === 1) {
                $lines[$i]['unit_price_cents'] = (int) $l['unit_price_cents'] + $diff;
            } else {
                $lines[$i]['quantity'] = (int) $l['quantity'] - 1;
                $one = $l;
                $one['quantity'] = 1;
                $one['unit_price_cents'] = (int) $l['unit_price_cents'] + $diff;
                array_splice($lines, $i + 1, 0, [$one]);
            }

            return $lines;
        }
        throw new \UnexpectedValueException('total_cents: no product line can carry a rounding difference of ' . $diff);
    }
}
