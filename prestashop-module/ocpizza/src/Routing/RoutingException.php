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


/** No restaurant can take this cart; `reason` is a stable code the shop turns into a translated message. */
class RoutingException extends \RuntimeException
{
    public const NO_ADDRESS = 'no_address';
    public const UNKNOWN_POSTCODE = 'unknown_postcode';
    public const UNKNOWN_RESTAURANT = 'unknown_restaurant';

    /** @var string */
    public $reason;
    /** @var string */
    public $value;

    public function __construct(string $reason, string $value = '')
    {
        parent::__construct('restaurant: ' . $reason . ($value !== '' ? ' (' . $value . ')' : ''));
        $this->reason = $reason;
        $this->value = $value;
    }
}
