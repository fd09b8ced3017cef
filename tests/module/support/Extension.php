<?php
/**
 * Whether the real ocpizza extension can be used by the tests: loaded, with its OCPizza\SogeCommerce class.
 */

namespace OCPizzaModule\Tests\Support;

final class Extension
{
    public static function usable(): bool
    {
        return extension_loaded('ocpizza') && class_exists('OCPizza\\SogeCommerce', false);
    }
}
