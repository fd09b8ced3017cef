<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Refund;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The idempotency key of a refund in OCPizza_DB (`refunds.transaction_key`, Store::recordRefund()).
 *
 * One refund reaches the module twice: as the answer to the back office's CancelOrRefund call, and as the gateway's
 * notification of the same operation (form IPN with vads_operation_type=CREDIT, or REST IPN). Both paths build the
 * key from what the gateway names the operation, never from how it reached us, so whichever comes second finds it
 * recorded and writes nothing. A notification's own idempotency_key cannot serve: it also holds the transaction's
 * status and sequence, which differ between the answer and the notification.
 *
 * - refund (a new CREDIT transaction): `sc:<shop id>:refund:<CREDIT uuid>`;
 * - cancellation of a payment not yet captured (the DEBIT cancelled, or its authorisation reduced):
 *   `sc:<shop id>:cancel:<DEBIT uuid>:<cents still authorised>` (0 when cancelled in full), one key per step down.
 */
final class RefundKey
{
    public static function refund(string $siteId, string $creditUuid): string
    {
        return 'sc:' . self::part('site id', $siteId) . ':refund:' . self::part('uuid', strtolower($creditUuid));
    }

    public static function cancellation(string $siteId, string $debitUuid, int $stillAuthorisedCents): string
    {
        if ($stillAuthorisedCents < 0) {
            throw new \InvalidArgumentException('still authorised: negative amount');
        }

        return 'sc:' . self::part('site id', $siteId) . ':cancel:' . self::part('uuid', strtolower($debitUuid)) . ':' . $stillAuthorisedCents;
    }

    private static function part(string $name, string $value): string
    {
        if (preg_match('/^[A-Za-z0-9]{1,64}$/', $value) !== 1) {
            throw new \InvalidArgumentException($name . ': expected 1 to 64 letters or digits');
        }

        return $value;
    }
}
