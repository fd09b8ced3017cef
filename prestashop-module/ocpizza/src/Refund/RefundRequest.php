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

/** One refund made in PrestaShop's back office, as the module asks the gateway for it. */
final class RefundRequest
{
    /** @var int */
    public $orderId;
    /** @var string idempotency key in ocpizza_refund: "slip-<id_order_slip>" or "state-<id_order>-<id_order_state>" */
    public $key;
    /** @var int|null */
    public $slipId;
    /** @var int minor units; for a state change, 0 = "what is left to refund", computed under the order's lock */
    public $amountCents;
    /** @var string ISO 4217 alpha */
    public $currency;
    /** @var string the card payment's transaction uuid ('' when unknown) */
    public $paymentUuid;
    /** @var string */
    public $reason;
    /** @var string the employee, as OCPizza_DB's requested_by */
    public $requestedBy;
    /** @var int order total paid, minor units (bounds a state change's "what is left") */
    public $paidCents;

    public static function slip(int $orderId, int $slipId, int $amountCents, string $currency, string $uuid, int $paidCents, string $reason, string $by): self
    {
        $r = new self();
        $r->orderId = $orderId;
        $r->key = 'slip-' . $slipId;
        $r->slipId = $slipId;
        $r->amountCents = $amountCents;
        $r->currency = $currency;
        $r->paymentUuid = $uuid;
        $r->paidCents = $paidCents;
        $r->reason = $reason;
        $r->requestedBy = $by;

        return $r;
    }

    public static function stateChange(int $orderId, int $stateId, string $currency, string $uuid, int $paidCents, string $reason, string $by): self
    {
        $r = self::slip($orderId, 0, 0, $currency, $uuid, $paidCents, $reason, $by);
        $r->key = 'state-' . $orderId . '-' . $stateId;
        $r->slipId = null;

        return $r;
    }

    public function isStateChange(): bool
    {
        return $this->slipId === null;
    }
}
