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


/** The current instant; injected so that transaction ids and dates are testable. */
interface Clock
{
    public function now(): \DateTimeImmutable;
}
