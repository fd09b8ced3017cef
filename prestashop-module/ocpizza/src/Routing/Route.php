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


/** Which restaurant makes the order and how the customer gets it. */
final class Route
{
    /** @var string restaurant code */
    public $restaurant;
    /** @var string restaurant display name */
    public $restaurantName;
    /** @var string delivery|takeaway */
    public $fulfilment;

    public function __construct(string $restaurant, string $restaurantName, string $fulfilment)
    {
        $this->restaurant = $restaurant;
        $this->restaurantName = $restaurantName;
        $this->fulfilment = $fulfilment;
    }
}
