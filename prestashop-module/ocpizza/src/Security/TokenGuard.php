<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Security;

if (!defined('_PS_VERSION_')) {
    exit;
}

/** Secrets and tokens compared in constant time, and generated from the CSPRNG. */
final class TokenGuard
{
    public static function matches(string $expected, $given): bool
    {
        if ($expected === '' || !is_string($given) || $given === '') {
            return false;
        }

        return hash_equals($expected, $given);
    }

    public static function generate(): string
    {
        return bin2hex(random_bytes(24));
    }
}
