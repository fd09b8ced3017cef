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


/** An order already created from the cart. */
final class ExistingOrder
{
    /** @var int */
    public $orderId;
    /** @var int current PrestaShop order state */
    public $stateId;
    /** @var bool the order has been in a paid state at some point (Order::hasBeenPaid) */
    public $hasBeenPaid;

    public function __construct(int $orderId, int $stateId, bool $hasBeenPaid)
    {
        $this->orderId = $orderId;
        $this->stateId = $stateId;
        $this->hasBeenPaid = $hasBeenPaid;
    }
}
