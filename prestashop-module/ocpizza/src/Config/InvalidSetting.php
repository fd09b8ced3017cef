<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Config;

if (!defined('_PS_VERSION_')) {
    exit;
}


/** A submitted configuration value is refused; `field` is the configuration key, `reason` a stable code. */
class InvalidSetting extends \InvalidArgumentException
{
    /** @var string */
    public $field;
    /** @var string */
    public $reason;
    /** @var array<string, string|int> */
    public $params;

    public function __construct(string $field, string $reason, array $params = [])
    {
        parent::__construct($field . ': ' . $reason);
        $this->field = $field;
        $this->reason = $reason;
        $this->params = $params;
    }
}
