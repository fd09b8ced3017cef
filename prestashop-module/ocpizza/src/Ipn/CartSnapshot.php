<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Ipn;

if (!defined('_PS_VERSION_')) {
    exit;
}


/** The cart as the IPN compares it with the gateway's report. */
final class CartSnapshot
{
    /** @var int */
    public $cartId;
    /** @var string ISO 4217 alpha-3 */
    public $currency;
    /** @var int */
    public $decimals;
    /** @var int cart total, tax included, minor units */
    public $totalMinor;

    public function __construct(int $cartId, string $currency, int $decimals, int $totalMinor)
    {
        $this->cartId = $cartId;
        $this->currency = $currency;
        $this->decimals = $decimals;
        $this->totalMinor = $totalMinor;
    }
}
