<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Shop;

if (!defined('_PS_VERSION_')) {
    exit;
}

use OCPizzaModule\Contract\ConfigReader;

/** ConfigReader over PrestaShop's Configuration (current shop context). */
final class PrestaShopConfig implements ConfigReader
{
    public function get(string $key): ?string
    {
        $v = \Configuration::get($key);

        return $v === false || $v === null ? null : (string) $v;
    }
}
