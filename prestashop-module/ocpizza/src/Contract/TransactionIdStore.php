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


/** Remembers which vads_trans_id values were handed out, per UTC day (UNIQUE(trans_date_day, trans_id)). */
interface TransactionIdStore
{
    /** True when ($day, $transId) was free and is now reserved for $cartId; false when it was already taken. */
    public function reserve(string $day, string $transId, int $cartId): bool;
}
