<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Contract;

if (!defined('_PS_VERSION_')) {
    exit;
}


/** A named mutual exclusion shared by every PHP process of the shop (MySQL GET_LOCK in the shop). */
interface Lock
{
    /**
     * Runs $work while holding the lock $name and returns its result; the lock is released even when $work throws.
     *
     * @throws \OCPizzaModule\Contract\LockTimeout when the lock could not be taken within $timeoutSeconds
     */
    public function synchronized(string $name, int $timeoutSeconds, callable $work);
}
