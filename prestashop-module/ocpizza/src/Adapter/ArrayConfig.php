<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Adapter;

if (!defined('_PS_VERSION_')) {
    exit;
}

use OCPizzaModule\Contract\ConfigReader;

/** Configuration from an array (submitted values merged over the stored ones, tests). */
final class ArrayConfig implements ConfigReader
{
    /** @var array<string, string> */
    private $values;

    public function __construct(array $values)
    {
        $this->values = $values;
    }

    public function get(string $key): ?string
    {
        return isset($this->values[$key]) ? (string) $this->values[$key] : null;
    }
}
