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

/**
 * The module's side tables keyed on PrestaShop ids (core tables are never altered):
 * ocpizza_cart (payment method chosen for a cart) and ocpizza_order (the order as recorded in OCPizza_DB, with
 * the last OC Pizza status the module set).
 */
final class OrderLinks
{
    /** @var \Db */
    private $db;

    public function __construct(\Db $db)
    {
        $this->db = $db;
    }

    public function rememberPaymentMethod(int $cartId, string $method): void
    {
        $this->db->execute(
            'INSERT INTO `' . _DB_PREFIX_ . 'ocpizza_cart` (id_cart, payment_method, date_upd) VALUES ('
            . (int) $cartId . ', \'' . pSQL($method) . '\', UTC_TIMESTAMP())'
            . ' ON DUPLICATE KEY UPDATE payment_method = VALUES(payment_method), date_upd = VALUES(date_upd)',
            false
        );
    }

    public function paymentMethod(int $cartId): ?string
    {
        $v = $this->db->getValue('SELECT payment_method FROM `' . _DB_PREFIX_ . 'ocpizza_cart` WHERE id_cart = ' . (int) $cartId, false);

        return $v === false || $v === null ? null : (string) $v;
    }

    /** @return array{ocp_order_id:int, fulfilment:string, oc_status:string}|null */
    public function find(int $orderId): ?array
    {
        $row = $this->db->getRow('SELECT ocp_order_id, fulfilment, oc_status FROM `' . _DB_PREFIX_ . 'ocpizza_order` WHERE id_order = ' . (int) $orderId, false);
        if (!is_array($row) || $row === []) {
            return null;
        }

        return ['ocp_order_id' => (int) $row['ocp_order_id'], 'fulfilment' => (string) $row['fulfilment'], 'oc_status' => (string) $row['oc_status']];
    }

    public function add(int $orderId, int $ocpOrderId, string $fulfilment): void
    {
        $this->db->execute(
            'INSERT IGNORE INTO `' . _DB_PREFIX_ . 'ocpizza_order` (id_order, ocp_order_id, fulfilment, oc_status, date_add, date_upd) VALUES ('
            . (int) $orderId . ', ' . (int) $ocpOrderId . ', \'' . pSQL($fulfilment) . '\', \'received\', UTC_TIMESTAMP(), UTC_TIMESTAMP())',
            false
        );
    }

    public function setStatus(int $orderId, string $status): void
    {
        $this->db->execute(
            'UPDATE `' . _DB_PREFIX_ . 'ocpizza_order` SET oc_status = \'' . pSQL($status) . '\', date_upd = UTC_TIMESTAMP() WHERE id_order = ' . (int) $orderId,
            false
        );
    }

    /** Orders of this module not yet in OCPizza_DB (the recording failed, e.g. database down). @return int[] */
    public function unrecorded(string $moduleName, array $skipStates, int $limit): array
    {
        $skip = implode(',', array_map('intval', $skipStates ?: [0]));
        $rows = $this->db->executeS(
            'SELECT o.id_order FROM `' . _DB_PREFIX_ . 'orders` o LEFT JOIN `' . _DB_PREFIX_ . 'ocpizza_order` l ON l.id_order = o.id_order'
            . ' WHERE o.module = \'' . pSQL($moduleName) . '\' AND l.id_order IS NULL AND o.current_state NOT IN (' . $skip . ')'
            . ' ORDER BY o.id_order LIMIT ' . (int) $limit,
            true,
            false
        );

        return array_map(static function ($r) { return (int) $r['id_order']; }, is_array($rows) ? $rows : []);
    }
}
