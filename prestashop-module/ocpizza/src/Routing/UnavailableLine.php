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


/** A cart line the chosen restaurant cannot make now. */
final class UnavailableLine
{
    /** @var string */
    public $name;
    /** @var string */
    public $sku;
    /** @var string missing_sku | not_available */
    public $reason;

    public function __construct(string $name, string $sku, string $reason)
    {
        $this->name = $name;
        $this->sku = $sku;
        $this->reason = $reason;
    }
}
