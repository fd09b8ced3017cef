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


/**
 * Where the module writes what happened. Callers never pass keys, secrets, card data or whole POST bodies:
 * messages carry identifiers (cart, order, field names) only.
 */
interface Logger
{
    public function info(string $message): void;

    public function warning(string $message): void;

    public function error(string $message): void;
}
