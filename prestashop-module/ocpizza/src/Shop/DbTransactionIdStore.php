<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Shop;

if (!defined('_PS_VERSION_')) {
    exit;
}

use OCPizzaModule\Contract\TransactionIdStore;

/** vads_trans_id reservations in the module's table, UNIQUE(trans_date_day, trans_id). */
final class DbTransactionIdStore implements TransactionIdStore
{
    /** @var \Db */
    private $db;

    public function __construct(\Db $db)
    {
        $this->db = $db;
    }

    public function reserve(string $day, string $transId, int $cartId): bool
    {
        if (preg_match('/^\d{8}$/', $day) !== 1 || preg_match('/^\d{6}$/', $transId) !== 1) {
            throw new \InvalidArgumentException('vads_trans_id: malformed day or id');
        }
        $ok = $this->db->execute(
            'INSERT IGNORE INTO `' . _DB_PREFIX_ . 'ocpizza_transaction` (trans_date_day, trans_id, id_cart, date_add)'
            . ' VALUES (\'' . pSQL($day) . '\', \'' . pSQL($transId) . '\', ' . (int) $cartId . ', UTC_TIMESTAMP())',
            false
        );

        return $ok && (int) $this->db->Affected_Rows() === 1;
    }
}
