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
 * The side table ocpizza_refund: one row per refund the back office asked for (a credit slip, or a move to the
 * cancelled/refunded state), UNIQUE on its refund_key, written BEFORE the gateway is called. The UNIQUE key is the
 * idempotency: a second click or a hook fired twice finds the row and never calls the gateway again.
 *
 * States: requested (the call is being made, or the process died during it: outcome unknown), confirmed (the gateway
 * gave the money back; not yet in OCPizza_DB: the cron retries), recorded (in OCPizza_DB too), pending (the gateway
 * accepted but has not confirmed: its notification records it), refused, unknown (timeout or unreadable answer:
 * never asked again automatically), not_sent (nothing asked of the gateway: the message says why), store_refused
 * (confirmed by the gateway, refused by OCPizza_DB as invalid: shown, not retried).
 */
final class RefundLedger
{
    public const REQUESTED = 'requested';
    public const CONFIRMED = 'confirmed';
    public const RECORDED = 'recorded';
    public const PENDING = 'pending';
    public const REFUSED = 'refused';
    public const UNKNOWN = 'unknown';
    public const NOT_SENT = 'not_sent';
    public const STORE_REFUSED = 'store_refused';

    /** States in which the money is, or may be, on its way back: they count against what is left to refund. */
    public const COMMITTED = [self::REQUESTED, self::CONFIRMED, self::RECORDED, self::PENDING, self::UNKNOWN, self::STORE_REFUSED];

    /** @var \Db */
    private $db;

    public function __construct(\Db $db)
    {
        $this->db = $db;
    }

    private static function table(): string
    {
        return '`' . _DB_PREFIX_ . 'ocpizza_refund`';
    }

    public function find(string $refundKey): ?array
    {
        $row = $this->db->getRow('SELECT * FROM ' . self::table() . ' WHERE refund_key = \'' . pSQL($refundKey) . '\'', false);

        return is_array($row) && $row !== [] ? $row : null;
    }

    /**
     * Inserts the row; false when a row with this key exists already (INSERT IGNORE on the UNIQUE key: atomic even
     * between two PHP workers).
     */
    public function insert(array $row): bool
    {
        $values = [
            'id_order' => (int) $row['id_order'],
            'refund_key' => '\'' . pSQL((string) $row['refund_key']) . '\'',
            'id_order_slip' => isset($row['id_order_slip']) ? (string) (int) $row['id_order_slip'] : 'NULL',
            'amount_cents' => (int) $row['amount_cents'],
            'currency' => '\'' . pSQL((string) $row['currency']) . '\'',
            'payment_uuid' => '\'' . pSQL((string) ($row['payment_uuid'] ?? '')) . '\'',
            'state' => '\'' . pSQL((string) $row['state']) . '\'',
            'error_code' => '\'' . pSQL((string) ($row['error_code'] ?? '')) . '\'',
            'message' => '\'' . pSQL(mb_substr((string) ($row['message'] ?? ''), 0, 512)) . '\'',
            'reason' => '\'' . pSQL(mb_substr((string) ($row['reason'] ?? ''), 0, 255)) . '\'',
            'requested_by' => '\'' . pSQL(mb_substr((string) ($row['requested_by'] ?? ''), 0, 120)) . '\'',
            'date_add' => 'UTC_TIMESTAMP()',
            'date_upd' => 'UTC_TIMESTAMP()',
        ];
        $this->db->execute('INSERT IGNORE INTO ' . self::table() . ' (`' . implode('`, `', array_keys($values)) . '`) VALUES (' . implode(', ', $values) . ')', false);

        return (int) $this->db->Affected_Rows() === 1;
    }

    /** @param array<string, string|int|null> $fields among state, resolution, answer_uuid, answer_amount_cents, transaction_key, error_code, message */
    public function update(string $refundKey, array $fields): void
    {
        $set = [];
        foreach ($fields as $name => $value) {
            if (!in_array($name, ['state', 'resolution', 'answer_uuid', 'answer_amount_cents', 'transaction_key', 'error_code', 'message'], true)) {
                throw new \InvalidArgumentException('ocpizza_refund: no column ' . $name);
            }
            if ($value === null) {
                $set[] = '`' . $name . '` = NULL';
            } elseif (is_int($value)) {
                $set[] = '`' . $name . '` = ' . $value;
            } else {
                $set[] = '`' . $name . '` = \'' . pSQL(mb_substr($value, 0, $name === 'message' ? 512 : 190)) . '\'';
            }
        }
        $set[] = 'date_upd = UTC_TIMESTAMP()';
        $this->db->execute('UPDATE ' . self::table() . ' SET ' . implode(', ', $set) . ' WHERE refund_key = \'' . pSQL($refundKey) . '\'', false);
    }

    /** @return array[] the order's rows, oldest first */
    public function forOrder(int $orderId): array
    {
        $rows = $this->db->executeS('SELECT * FROM ' . self::table() . ' WHERE id_order = ' . (int) $orderId . ' ORDER BY id_ocpizza_refund', true, false);

        return is_array($rows) ? $rows : [];
    }

    /** Minor units already given back, or possibly on their way back, for the order. */
    public function committedCents(int $orderId): int
    {
        $states = implode(', ', array_map(static function ($s) { return '\'' . $s . '\''; }, self::COMMITTED));

        return (int) $this->db->getValue('SELECT COALESCE(SUM(amount_cents), 0) FROM ' . self::table() . ' WHERE id_order = ' . (int) $orderId . ' AND state IN (' . $states . ')', false);
    }

    /** Refunds whose outcome the merchant must check by hand (requested with no answer, or unknown). */
    public function unresolvedCount(int $orderId): int
    {
        return (int) $this->db->getValue('SELECT COUNT(*) FROM ' . self::table() . ' WHERE id_order = ' . (int) $orderId . ' AND state IN (\'' . self::REQUESTED . '\', \'' . self::UNKNOWN . '\')', false);
    }

    /** @return array[] confirmed by the gateway, not yet in OCPizza_DB (the cron retries them) */
    public function confirmedUnrecorded(int $limit): array
    {
        $rows = $this->db->executeS('SELECT * FROM ' . self::table() . ' WHERE state = \'' . self::CONFIRMED . '\' ORDER BY id_ocpizza_refund LIMIT ' . (int) $limit, true, false);

        return is_array($rows) ? $rows : [];
    }

    /** The newest credit slip of the order (the one PrestaShop has just created when actionOrderSlipAdd fires). */
    public function newestSlipId(int $orderId): int
    {
        return (int) $this->db->getValue('SELECT MAX(id_order_slip) FROM `' . _DB_PREFIX_ . 'order_slip` WHERE id_order = ' . (int) $orderId, false);
    }

    /** The card payment's transaction uuid: PrestaShop's order_payment.transaction_id when it holds one (32 hex). */
    public function paymentUuid(string $orderReference): string
    {
        $rows = $this->db->executeS('SELECT transaction_id FROM `' . _DB_PREFIX_ . 'order_payment` WHERE order_reference = \'' . pSQL($orderReference) . '\' ORDER BY id_order_payment', true, false);
        foreach (is_array($rows) ? $rows : [] as $r) {
            $id = strtolower(trim((string) $r['transaction_id']));
            if (preg_match('/^[0-9a-f]{32}$/', $id) === 1) {
                return $id;
            }
        }

        return '';
    }
}
