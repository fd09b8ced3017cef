<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Order;

if (!defined('_PS_VERSION_')) {
    exit;
}

/** A value the module refuses to pass to OCPizza_DB; the message is "field: reason", as the extension's. */
final class InvalidOrderField extends \RuntimeException
{
    /** @var string */
    public $field;

    public function __construct(string $field, string $message)
    {
        parent::__construct($message);
        $this->field = $field;
    }
}
