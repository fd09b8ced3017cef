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


/** What the hosted payment form needs to know about one cart. */
final class PaymentRequest
{
    /** @var int */
    public $cartId;
    /** @var int amount in minor units of the cart currency */
    public $amountMinor;
    /** @var string ISO 4217 numeric, 3 digits */
    public $currencyNumeric;
    /** @var string */
    public $returnUrl;
    /** @var string */
    public $ipnUrl;
    /** @var array<string, string> optional vads_cust_* values (email, first_name, last_name, phone, id…) */
    public $customer = [];
    /** @var string two-letter language for the payment page */
    public $language = 'fr';

    public function __construct(int $cartId, int $amountMinor, string $currencyNumeric, string $returnUrl, string $ipnUrl)
    {
        $this->cartId = $cartId;
        $this->amountMinor = $amountMinor;
        $this->currencyNumeric = $currencyNumeric;
        $this->returnUrl = $returnUrl;
        $this->ipnUrl = $ipnUrl;
    }
}
