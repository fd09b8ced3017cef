<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Ipn;

if (!defined('_PS_VERSION_')) {
    exit;
}


/** The PrestaShop order states the IPN moves orders to (built-ins by their PS_OS_* key, the module's own). */
final class StateIds
{
    /** @var int */ public $payment;
    /** @var int */ public $pending;
    /** @var int */ public $toValidate;
    /** @var int */ public $cancelled;
    /** @var int */ public $error;
    /** @var int */ public $refund;
    /** @var int the module's "Partially refunded" (0 when not installed yet) */ public $partialRefund;

    public function __construct(int $payment, int $pending, int $toValidate, int $cancelled, int $error, int $refund, int $partialRefund = 0)
    {
        $this->partialRefund = $partialRefund;
        $this->payment = $payment;
        $this->pending = $pending;
        $this->toValidate = $toValidate;
        $this->cancelled = $cancelled;
        $this->error = $error;
        $this->refund = $refund;
    }

    /** The state for a notification outcome (paid, pending, to_validate, cancelled, failed). */
    public function forOutcome(string $outcome): int
    {
        switch ($outcome) {
            case 'paid':
                return $this->payment;
            case 'pending':
                return $this->pending;
            case 'to_validate':
                return $this->toValidate;
            case 'cancelled':
                return $this->cancelled;
            default:
                return $this->error; // failed, and anything unknown: never treated as paid
        }
    }

    /** States the IPN never moves an order out of (the merchant decides from there). */
    public function isClosed(int $stateId): bool
    {
        return in_array($stateId, [$this->cancelled, $this->error, $this->refund], true);
    }
}
