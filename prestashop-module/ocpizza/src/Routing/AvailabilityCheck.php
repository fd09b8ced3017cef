<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Routing;

if (!defined('_PS_VERSION_')) {
    exit;
}


/**
 * A cart can be paid only when its restaurant can make every line now (Store::availableProducts: what its stock
 * allows). Returns the lines that cannot be made, in cart order, so the payment step can name them.
 */
final class AvailabilityCheck
{
    /**
     * @param array<int, array{name: string, sku: string}> $lines
     * @param string[] $availableSkus
     *
     * @return UnavailableLine[]
     */
    public function unavailable(array $lines, array $availableSkus): array
    {
        $available = array_flip($availableSkus);
        $out = [];
        foreach ($lines as $line) {
            $sku = trim((string) ($line['sku'] ?? ''));
            $name = (string) ($line['name'] ?? $sku);
            if ($sku === '') {
                $out[] = new UnavailableLine($name, '', 'missing_sku');
            } elseif (!isset($available[$sku])) {
                $out[] = new UnavailableLine($name, $sku, 'not_available');
            }
        }

        return $out;
    }
}
