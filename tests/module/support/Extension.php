<?php
/**
 * Whether the real ocpizza extension can be used by the tests: loaded, with its OCPizza\SogeCommerce class.
 */

namespace OCPizzaModule\Tests\Support;

final class Extension
{
    /** The file of the loaded extension (for child PHP processes), from the process's memory map on Linux. */
    public static function path(): string
    {
        foreach (@file('/proc/self/maps') ?: [] as $line) {
            if (preg_match('#\s(/\S*ocpizza\S*\.so)$#', rtrim($line), $m) === 1) {
                return $m[1];
            }
        }

        return getenv('OCPIZZA_EXTENSION') ?: dirname(__DIR__, 3) . '/target/debug/libocpizza.so';
    }

    public static function usable(): bool
    {
        return extension_loaded('ocpizza') && class_exists('OCPizza\\SogeCommerce', false);
    }
}
