<?php
/**
 * InMemoryGateway whose Store calls are also journalled in the stand-in's database (standin_gateway_calls), so
 * that a test can see what child PHP processes asked of OCPizza_DB. recordOrder stays idempotent across processes.
 */

namespace OCPizzaModule\Tests\Support;

class JournalGateway extends InMemoryGateway
{
    public function recordOrder(array $order): array
    {
        $this->fail('recordOrder');
        $id = (int) $order['shop_order_id'];
        $existing = \Db::getInstance()->getValue('SELECT COUNT(*) FROM `standin_gateway_calls` WHERE method = \'recordOrder\' AND shop_order_id = ' . $id, false);
        $this->journal('recordOrder', $order, $id);

        return ['order_id' => 5000 + $id, 'created' => (int) $existing === 0];
    }

    protected function journal(string $method, array $args, ?int $shopOrderId): void
    {
        parent::journal($method, $args, $shopOrderId);
        \Db::getInstance()->insert('standin_gateway_calls', [
            'method' => $method,
            'shop_order_id' => $shopOrderId === null ? null : $shopOrderId,
            'payload' => json_encode($args, JSON_UNESCAPED_UNICODE),
        ], true, false, \Db::INSERT, false);
    }

    /** @return array[] calls journalled by every process */
    public static function journalled(string $method): array
    {
        $rows = \Db::getInstance()->executeS('SELECT shop_order_id, payload FROM `standin_gateway_calls` WHERE method = \'' . pSQL($method) . '\' ORDER BY id');

        return array_map(static function ($r) {
            return ['shop_order_id' => $r['shop_order_id'] === null ? null : (int) $r['shop_order_id']] + json_decode($r['payload'], true);
        }, $rows);
    }
}
