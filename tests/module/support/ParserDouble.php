<?php
/**
 * Test double of parseNotification for glue tests that are about PrestaShop, not signatures (see GlueTestCase).
 */

namespace OCPizzaModule\Tests\Support;

final class ParserDouble
{
    private const GLUE_TEST_KEY = '1122334455667788';

    public static function create(): callable
    {
        return static function (array $post, string $key, string $mode, string $alg): array {
            if (($post['signature'] ?? '') !== 'valid-signature' || $key !== self::GLUE_TEST_KEY) {
                throw new \OCPizza\SignatureException('signature: does not match');
            }
            if (($post['vads_ctx_mode'] ?? '') !== $mode) {
                throw new \OCPizza\ValidationException('vads_ctx_mode: does not match the configured mode');
            }
            $status = $post['vads_trans_status'];
            $outcome = ['AUTHORISED' => 'paid', 'CAPTURED' => 'paid', 'WAITING_AUTHORISATION' => 'pending', 'CANCELLED' => 'cancelled', 'ABANDONED' => 'cancelled', 'REFUSED' => 'failed'][$status] ?? 'failed';

            return [
                'site_id' => $post['vads_site_id'], 'order_id' => $post['vads_order_id'], 'transaction_id' => $post['vads_trans_id'],
                'transaction_uuid' => $post['vads_trans_uuid'] ?? '', 'transaction_date' => '2026-11-29T18:00:00Z',
                'amount_cents' => (int) $post['vads_amount'], 'currency_numeric' => $post['vads_currency'],
                'currency' => ['978' => 'EUR', '392' => 'JPY', '840' => 'USD'][$post['vads_currency']], 'raw_status' => $status,
                'outcome' => $outcome, 'operation_type' => $post['vads_operation_type'] ?? '', 'trigger' => $post['vads_url_check_src'] ?? '',
                'sequence_number' => 1, 'mode' => $post['vads_ctx_mode'],
                'idempotency_key' => $post['vads_site_id'] . ':' . ($post['vads_trans_uuid'] ?? '') . ':' . $status,
            ];
        };
    }

}
