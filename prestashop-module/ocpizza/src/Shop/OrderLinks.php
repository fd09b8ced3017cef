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
 * ocpizza_cart (payment method chosen for a cart), ocpizza_order (the order as recorded in OCPizza_DB, with
 * the last OC Pizza status the module set) and ocpizza_refused (orders OCPizza_DB or the module's own checks refused,
 * with the reason: kept unlinked, listed on the configuration page, not retried by the cron).
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

    /** Remembers why the order could not be recorded (the latest reason wins). */
    public function refuse(int $orderId, string $reason): void
    {
        $this->db->execute(
            'INSERT INTO `' . _DB_PREFIX_ . 'ocpizza_refused` (id_order, reason, date_upd) VALUES ('
            . (int) $orderId . ', \'' . pSQL(mb_substr($reason, 0, 255)) . '\', UTC_TIMESTAMP())'
            . ' ON DUPLICATE KEY UPDATE reason = VALUES(reason), date_upd = VALUES(date_upd)',
            false
        );
    }

    /** @return array<int, array{id_order:int, reference:string, reason:string, date_upd:string}> newest first */
    public function refused(int $limit): array
    {
        $rows = $this->db->executeS(
            'SELECT r.id_order, o.reference, r.reason, r.date_upd FROM `' . _DB_PREFIX_ . 'ocpizza_refused` r'
            . ' LEFT JOIN `' . _DB_PREFIX_ . 'orders` o ON o.id_order = r.id_order'
            . ' ORDER BY r.date_upd DESC, r.id_order DESC LIMIT ' . (int) $limit,
            true,
            false
        );
        $out = [];
        foreach (is_array($rows) ? $rows : [] as $r) {
            $out[] = ['id_order' => (int) $r['id_order'], 'reference' => (string) $r['reference'], 'reason' => (string) $r['reason'], 'date_upd' => (string) $r['date_upd']];
        }

        return $out;
    }

    public function refusedCount(): int
    {
        return (int) $this->db->getValue('SELECT COUNT(*) FROM `' . _DB_PREFIX_ . 'ocpizza_refused`', false);
    }

    public function add(int $orderId, int $ocpOrderId, string $fulfilment): void
    {
        $this->db->execute('DELETE FROM `' . _DB_PREFIX_ . 'ocpizza_refused` WHERE id_order = ' . (int) $orderId, false);
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

    /**
     * Orders of this module not yet in OCPizza_DB because the recording failed (e.g. database down); orders refused
     * as invalid are left out (a retry would be refused again). @return int[]
     */
    public function unrecorded(string $moduleName, array $skipStates, int $limit): array
    {
        $skip = implode(',', array_map('intval', $skipStates ?: [0]));
        $rows = $this->db->executeS(
            'SELECT o.id_order FROM `' . _DB_PREFIX_ . 'orders` o LEFT JOIN `' . _DB_PREFIX_ . 'ocpizza_order` l ON l.id_order = o.id_order'
            . ' LEFT JOIN `' . _DB_PREFIX_ . 'ocpizza_refused` r ON r.id_order = o.id_order'
            . ' WHERE o.module = \'' . pSQL($moduleName) . '\' AND l.id_order IS NULL AND r.id_order IS NULL AND o.current_state NOT IN (' . $skip . ')'
            . ' ORDER BY o.id_order LIMIT ' . (int) $limit,
            true,
            false
        );

        return array_map(static function ($r) { return (int) $r['id_order']; }, is_array($rows) ? $rows : []);
    }
}
