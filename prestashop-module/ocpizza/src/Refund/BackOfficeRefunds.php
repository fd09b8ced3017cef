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

use OCPizzaModule\Config\Settings;
use OCPizzaModule\Contract\ExtensionGateway;
use OCPizzaModule\Contract\Lock;
use OCPizzaModule\Contract\Logger;
use OCPizzaModule\Shop\RefundLedger as L;

/**
 * Refunds made in PrestaShop's back office, given back by SogeCommerce (CancelOrRefund) and recorded in OCPizza_DB.
 *
 * Order of things, for each PrestaShop refund (its key in ocpizza_refund):
 * 1. under the order's lock: the row exists → nothing more (second click, hook fired twice); else the row is
 *    written in state "requested" (for a state change, with what is left to refund);
 * 2. one CancelOrRefund call, never retried (no idempotency at the gateway);
 * 3. the answer: confirmed → "confirmed", then Store::recordRefund → "recorded" (a failure leaves "confirmed" and
 *    the cron retries: the money went back, it must reach OCPizza_DB); not confirmed yet → "pending" (the gateway's
 *    notification records it); refused → "refused" with the gateway's reason; timeout, network error or unreadable
 *    answer → "unknown": the merchant checks SogeCommerce's back office, the module never asks again.
 */
final class BackOfficeRefunds
{
    /** Gateway error codes after which nothing is known about the refund. */
    private const UNKNOWN_CODES = ['TIMEOUT', 'NETWORK', 'INVALID_ANSWER'];

    /** @var Settings */
    private $settings;
    /** @var ExtensionGateway */
    private $gateway;
    /** @var L */
    private $ledger;
    /** @var Lock */
    private $lock;
    /** @var Logger */
    private $logger;

    public function __construct(Settings $settings, ExtensionGateway $gateway, L $ledger, Lock $lock, Logger $logger)
    {
        $this->settings = $settings;
        $this->gateway = $gateway;
        $this->ledger = $ledger;
        $this->lock = $lock;
        $this->logger = $logger;
    }

    /** @return array the ledger row after the request (the existing one when this refund was asked before) */
    public function request(RefundRequest $r): array
    {
        $row = $this->lock->synchronized('ocpizza_refund_' . $r->orderId, 10, function () use ($r) {
            $existing = $this->ledger->find($r->key);
            if ($existing !== null) {
                return ['row' => $existing, 'call' => false];
            }
            $row = [
                'id_order' => $r->orderId, 'refund_key' => $r->key, 'id_order_slip' => $r->slipId, 'amount_cents' => $r->amountCents,
                'currency' => $r->currency, 'payment_uuid' => $r->paymentUuid, 'reason' => $r->reason, 'requested_by' => $r->requestedBy,
                'state' => L::REQUESTED,
            ];
            if ($r->isStateChange()) {
                // A cancel or "refunded" after refunds: only the rest, and nothing while an earlier one is unresolved.
                if ($this->ledger->unresolvedCount($r->orderId) > 0) {
                    return ['row' => $this->notSent($row, 'unresolved'), 'call' => false];
                }
                $row['amount_cents'] = $r->paidCents - $this->ledger->committedCents($r->orderId);
                if ($row['amount_cents'] <= 0) {
                    $row['amount_cents'] = 0;

                    return ['row' => $this->notSent($row, 'nothing_left'), 'call' => false];
                }
            }
            if (!$this->settings->isRestReady()) {
                return ['row' => $this->notSent($row, 'rest_not_configured'), 'call' => false];
            }
            if ($r->paymentUuid === '') {
                return ['row' => $this->notSent($row, 'no_transaction'), 'call' => false];
            }
            if ($row['amount_cents'] <= 0) {
                return ['row' => $this->notSent($row, 'no_amount'), 'call' => false];
            }
            if (!$this->ledger->insert($row)) {
                return ['row' => (array) $this->ledger->find($r->key), 'call' => false];
            }

            return ['row' => $row, 'call' => true];
        });
        if (!$row['call']) {
            return $row['row'];
        }
        $this->ask($row['row']);

        return (array) $this->ledger->find($r->key);
    }

    /** Re-records in OCPizza_DB what the gateway confirmed and OCPizza_DB missed (cron). @return int rows recorded */
    public function retryUnrecorded(int $limit = 20): int
    {
        $done = 0;
        foreach ($this->ledger->confirmedUnrecorded($limit) as $row) {
            if ($this->record($row)) {
                ++$done;
            }
        }

        return $done;
    }

    private function notSent(array $row, string $why): array
    {
        $row['state'] = L::NOT_SENT;
        $row['error_code'] = $why;
        $this->ledger->insert($row);

        return (array) $this->ledger->find((string) $row['refund_key']);
    }

    private function ask(array $row): void
    {
        $key = (string) $row['refund_key'];
        try {
            $answer = $this->gateway->cancelOrRefund(
                $this->settings->restApiUrl(),
                $this->settings->siteId(),
                $this->settings->restPassword(),
                (string) $row['payment_uuid'],
                (int) $row['amount_cents'],
                (string) $row['currency']
            );
        } catch (\OCPizza\GatewayException $e) {
            $code = (string) $e->errorCode;
            // A 5xx may come from a proxy in front of a gateway that did the refund: as unknown as a timeout.
            $unknown = in_array($code, self::UNKNOWN_CODES, true) || strncmp($code, 'HTTP_5', 6) === 0;
            $this->ledger->update($key, ['state' => $unknown ? L::UNKNOWN : L::REFUSED, 'error_code' => $code, 'message' => self::short($e->getMessage())]);
            $this->logger->warning('Refund ' . $key . ' of order ' . (int) $row['id_order'] . ' ' . ($unknown ? 'outcome unknown' : 'refused') . ': ' . self::short($e->getMessage()));

            return;
        } catch (\OCPizza\ValidationException | \OCPizzaModule\Contract\ExtensionMissing $e) {
            // Nothing was sent: a value the extension refuses (named in the message), or no extension at all.
            $this->ledger->update($key, ['state' => L::NOT_SENT, 'error_code' => 'not_sent_error', 'message' => self::short($e->getMessage())]);
            $this->logger->error('Refund ' . $key . ' not sent: ' . self::short($e->getMessage()));

            return;
        } catch (\Throwable $e) {
            // Whatever happened, the call may have left: treated as unknown, never asked again.
            $this->ledger->update($key, ['state' => L::UNKNOWN, 'error_code' => 'ERROR', 'message' => get_class($e) . ': ' . self::short($e->getMessage())]);
            $this->logger->error('Refund ' . $key . ' outcome unknown: ' . get_class($e) . ': ' . self::short($e->getMessage()));

            return;
        }
        $resolution = (string) ($answer['resolution'] ?? '');
        $fields = [
            'resolution' => $resolution,
            'answer_uuid' => strtolower((string) ($answer['uuid'] ?? '')),
            'answer_amount_cents' => (int) ($answer['amount_cents'] ?? 0),
        ];
        if (empty($answer['confirmed'])) {
            $this->ledger->update($key, $fields + ['state' => L::PENDING, 'message' => 'gateway status ' . self::short((string) ($answer['detailed_status'] ?? ''), 64)]);
            $this->logger->info('Refund ' . $key . ' accepted, not confirmed yet (' . self::short((string) ($answer['detailed_status'] ?? ''), 64) . ')');

            return;
        }
        $siteId = $this->settings->siteId();
        // A cancellation's key names what stays authorised: 0 when the whole DEBIT is cancelled (RefundKey).
        $fields['transaction_key'] = $resolution === 'refund'
            ? RefundKey::refund($siteId, $fields['answer_uuid'])
            : RefundKey::cancellation($siteId, $fields['answer_uuid'], $resolution === 'cancellation' ? 0 : $fields['answer_amount_cents']);
        $this->ledger->update($key, $fields + ['state' => L::CONFIRMED]);
        $this->record((array) $this->ledger->find($key));
    }

    /** Store::recordRefund for a confirmed row; true when it is in OCPizza_DB (now or before). */
    private function record(array $row): bool
    {
        $key = (string) $row['refund_key'];
        $refund = [
            'shop_order_id' => (int) $row['id_order'],
            'transaction_key' => (string) $row['transaction_key'],
            'amount_cents' => (int) $row['amount_cents'],
            'currency' => (string) $row['currency'],
            'source' => 'shop',
            'transaction_uuid' => (string) $row['answer_uuid'],
            'occurred_at' => gmdate('Y-m-d\TH:i:s\Z', (int) strtotime((string) $row['date_upd'] . ' UTC')),
        ];
        if ((string) $row['reason'] !== '') {
            $refund['reason'] = (string) $row['reason'];
        }
        if ((string) $row['requested_by'] !== '') {
            $refund['requested_by'] = (string) $row['requested_by'];
        }
        try {
            $this->gateway->recordRefund($refund);
        } catch (\OCPizza\ValidationException $e) {
            $this->ledger->update($key, ['state' => L::STORE_REFUSED, 'message' => self::short($e->getMessage())]);
            $this->logger->error('Refund ' . $key . ' of order ' . (int) $row['id_order'] . ' given back but refused by OCPizza_DB: ' . self::short($e->getMessage()));

            return false;
        } catch (\Throwable $e) {
            $this->logger->error('Refund ' . $key . ' of order ' . (int) $row['id_order'] . ' given back, not yet in OCPizza_DB (retried by the cron): ' . get_class($e) . ': ' . self::short($e->getMessage()));

            return false;
        }
        $this->ledger->update($key, ['state' => L::RECORDED]);

        return true;
    }

    private static function short(string $s, int $max = 300): string
    {
        return mb_substr(str_replace(["\r", "\n"], ' ', $s), 0, $max);
    }
}
