<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Contract;

if (!defined('_PS_VERSION_')) {
    exit;
}


/** Read access to the module settings (PrestaShop's Configuration in the shop, an array in tests). */
interface ConfigReader
{
    /** The stored value, or null when the key was never set. */
    public function get(string $key): ?string;
}
