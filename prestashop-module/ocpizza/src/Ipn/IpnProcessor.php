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


use OCPizzaModule\Config\Settings;
use OCPizzaModule\Contract\ExtensionGateway;
use OCPizzaModule\Contract\Lock;
use OCPizzaModule\Contract\LockTimeout;
use OCPizzaModule\Contract\Logger;
use OCPizzaModule\Contract\ShopOrders;
use OCPizzaModule\Order\AsciiFields;
use OCPizzaModule\Order\InvalidOrderField;
use OCPizzaModule\Order\OrderRefused;
use OCPizzaModule\Payment\Money;

/**
 * Handles one payment notification (the IPN, or the signed browser return when the IPN is late):
 * verify and parse with the extension, then under a per-cart lock create the order or update its state
 * idempotently, never moving a paid order back.
 *
 * Refused messages (bad signature, wrong mode, wrong shop, malformed) get HTTP 200 with a KO body, as the gateway's
 * own module answers: re-sending them cannot make them valid, and the body shows in the gateway's back office; so do
 * verified messages whose order OCPizza_DB refuses as invalid (the field and reason in the body). A verified message
 * that is recorded is OK-, an amount or currency mismatch included (the order is in payment error).
 * Only a failure to record (database down, lock busy, extension missing) answers non-200 so the gateway retries.
 */
final class IpnProcessor
{
    public const LOCK_TIMEOUT_SECONDS = 10;

    /** @var Settings */ private $settings;
    /** @var ExtensionGateway */ private $gateway;
    /** @var ShopOrders */ private $orders;
    /** @var Lock */ private $lock;
    /** @var StateIds */ private $states;
    /** @var Logger */ private $logger;

    public function __construct(Settings $settings, ExtensionGateway $gateway, ShopOrders $orders, Lock $lock, StateIds $states, Logger $logger)
    {
        $this->settings = $settings;
        $this->gateway = $gateway;
        $this->orders = $orders;
        $this->lock = $lock;
        $this->states = $states;
        $this->logger = $logger;
    }

    /** @param array<string, string> $post the posted fields, as received */
    public function process(array $post, string $source = 'ipn'): IpnResponse
    {
        if (!$this->gateway->isLoaded()) {
            $this->logger->error('IPN: the ocpizza extension is not loaded; notification not processed');

            return new IpnResponse(503, 'KO-Extension not loaded');
        }
        if (!$this->settings->isCardPaymentReady()) {
            $this->logger->error('IPN: shop id or key not configured; notification not processed');

            return new IpnResponse(503, 'KO-Module not configured');
        }
        try {
            $n = $this->gateway->parseNotification($post, $this->settings->key(), $this->settings->mode(), $this->settings->algorithm());
        } catch (\Throwable $e) {
            return $this->refused($e, $source);
        }
        if ((string) ($n['site_id'] ?? '') !== $this->settings->siteId()) {
            $this->logger->warning('IPN (' . $source . '): refused, vads_site_id is not this shop');

            return new IpnResponse(200, 'KO-Wrong shop id');
        }
        $orderRef = (string) ($n['order_id'] ?? '');
        if (preg_match('/^[1-9]\d{0,18}$/', $orderRef) !== 1) {
            $this->logger->warning('IPN (' . $source . '): refused, vads_order_id is not a cart id');

            return new IpnResponse(200, 'KO-Unknown cart');
        }
        $cartId = (int) $orderRef;
        try {
            return $this->lock->synchronized('ocpizza_cart_' . $cartId, self::LOCK_TIMEOUT_SECONDS, function () use ($n, $cartId, $source) {
                return $this->underLock($n, $cartId, $source);
            });
        } catch (OrderRefused $e) {
            // Verified, but OCPizza_DB refuses the order's data (kept unlinked, listed on the configuration page): a
            // retry would be refused again, so 200 with the field and the reason for the gateway's history.
            $this->logger->error('IPN (' . $source . '): order ' . $e->orderId . ' not sent to the restaurants: ' . self::short($e->getMessage()));

            return new IpnResponse(200, 'KO-Order ' . $e->orderId . ' not sent to the restaurants: ' . self::short($e->getMessage()), $e->orderId, (string) $n['outcome']);
        } catch (\OCPizza\ValidationException | InvalidOrderField $e) {
            $this->logger->error('IPN (' . $source . '): cart ' . $cartId . ' refused: ' . self::short($e->getMessage()));

            return new IpnResponse(200, 'KO-Refused: ' . self::short($e->getMessage()), null, (string) $n['outcome']);
        } catch (LockTimeout $e) {
            $this->logger->warning('IPN (' . $source . '): cart ' . $cartId . ' busy, asking the gateway to retry');

            return new IpnResponse(503, 'KO-Cart busy, retry later', null, (string) $n['outcome']);
        } catch (\Throwable $e) {
            $this->logger->error('IPN (' . $source . '): cart ' . $cartId . ' not recorded: ' . get_class($e) . ': ' . self::short($e->getMessage()));

            return new IpnResponse(500, 'KO-Could not record, retry later', null, (string) $n['outcome']);
        }
    }

    private function underLock(array $n, int $cartId, string $source): IpnResponse
    {
        $outcome = (string) $n['outcome'];
        $cart = $this->orders->cart($cartId);
        if ($cart === null) {
            $this->logger->warning('IPN (' . $source . '): cart ' . $cartId . ' not found');

            return new IpnResponse(200, 'KO-Unknown cart', null, $outcome);
        }
        $mismatch = $this->mismatch($n, $cart);
        $isRefund = ($n['operation_type'] ?? '') === 'CREDIT';
        $existing = $this->orders->findOrder($cartId);

        if ($existing === null) {
            if ($isRefund || !in_array($outcome, ['paid', 'pending', 'to_validate'], true)) {
                $this->logger->info('IPN (' . $source . '): cart ' . $cartId . ' payment ' . $outcome . ', no order created');

                return new IpnResponse(200, 'OK-Payment not accepted, no order created', null, $outcome);
            }
            $amountPaid = Money::fromMinor((int) $n['amount_cents'], $cart->decimals);
            $transactionId = (string) ($n['transaction_id'] ?? '');
            if ($mismatch !== null) {
                $orderId = $this->orders->createOrder($cartId, $this->states->error, $amountPaid, $transactionId, $mismatch);
                $this->logger->warning('IPN (' . $source . '): order ' . $orderId . ' created in payment error: ' . $mismatch);

                // Verified and recorded (the order exists, in payment error, with a private message): OK-, as the
                // documented rule says; the body still says what is wrong, for the gateway's history.
                return new IpnResponse(200, 'OK-' . $mismatch . ', order ' . $orderId . ' in payment error', $orderId, $outcome);
            }
            $orderId = $this->orders->createOrder($cartId, $this->states->forOutcome($outcome), $amountPaid, $transactionId, null);
            $this->orders->ensureRecorded($orderId);
            $this->recordPayment($n, $orderId);
            $this->logger->info('IPN (' . $source . '): order ' . $orderId . ' created for cart ' . $cartId . ' (' . $outcome . ')');

            return new IpnResponse(200, 'OK-Order ' . $orderId . ' created', $orderId, $outcome);
        }

        $orderId = $existing->orderId;
        if ($isRefund) {
            // The extension reads a CREDIT (refund) notification's outcome as refunded / refund_pending / refund_failed.
            if ($outcome === 'refunded' && $existing->hasBeenPaid && $existing->stateId !== $this->states->refund) {
                $this->orders->changeState($orderId, $this->states->refund, 'Refund notified by the payment gateway');

                return new IpnResponse(200, 'OK-Refund recorded', $orderId, $outcome);
            }

            return new IpnResponse(200, 'OK-Refund notification noted', $orderId, $outcome);
        }
        $target = $this->states->forOutcome($outcome);
        if ($existing->hasBeenPaid) {
            if ($outcome === 'paid' && $mismatch === null) {
                // A replay or re-send of the payment, or a later sequence: the order may have moved on in the
                // kitchen, its state is left alone; the payment row is idempotent on the notification's key.
                $this->orders->ensureRecorded($orderId);
                $this->recordPayment($n, $orderId);

                return new IpnResponse(200, 'OK-Already registered', $orderId, $outcome);
            }
            $this->logger->warning('IPN (' . $source . '): order ' . $orderId . ' already paid, ' . $outcome . ' notification ignored' . ($mismatch !== null ? ' (' . $mismatch . ')' : ''));

            return new IpnResponse(200, 'OK-Order already paid, status kept', $orderId, $outcome);
        }
        if ($existing->stateId === $target) {
            if ($target !== $this->states->error && $target !== $this->states->cancelled) {
                $this->orders->ensureRecorded($orderId);
                $this->recordPayment($n, $orderId);
            }

            return new IpnResponse(200, 'OK-Already registered', $orderId, $outcome);
        }
        if ($this->states->isClosed($existing->stateId)) {
            $this->logger->warning('IPN (' . $source . '): order ' . $orderId . ' is closed (state ' . $existing->stateId . '), ' . $outcome . ' notification ignored');

            return new IpnResponse(200, 'OK-Order closed, status kept', $orderId, $outcome);
        }
        if ($mismatch !== null && in_array($outcome, ['paid', 'pending', 'to_validate'], true)) {
            $this->orders->changeState($orderId, $this->states->error, $mismatch);
            $this->logger->warning('IPN (' . $source . '): order ' . $orderId . ' set to payment error: ' . $mismatch);

            return new IpnResponse(200, 'OK-' . $mismatch . ', order ' . $orderId . ' in payment error', $orderId, $outcome);
        }
        $this->orders->changeState($orderId, $target, null);
        if (in_array($outcome, ['paid', 'pending', 'to_validate'], true)) {
            $this->orders->ensureRecorded($orderId);
        }
        $this->recordPayment($n, $orderId);
        $this->logger->info('IPN (' . $source . '): order ' . $orderId . ' moved to state ' . $target . ' (' . $outcome . ')');

        return new IpnResponse(200, 'OK-Order ' . $orderId . ' updated', $orderId, $outcome);
    }

    /** Amount and currency compared in integer minor units; null when they match. */
    private function mismatch(array $n, CartSnapshot $cart): ?string
    {
        if (strtoupper((string) ($n['currency'] ?? '')) !== strtoupper($cart->currency)) {
            return 'Currency mismatch (paid ' . self::short((string) ($n['currency'] ?? '?'), 3) . ', cart ' . $cart->currency . ')';
        }
        if ((int) $n['amount_cents'] !== $cart->totalMinor) {
            return 'Amount mismatch (paid ' . (int) $n['amount_cents'] . ', cart ' . $cart->totalMinor . ' minor units)';
        }

        return null;
    }

    /** The payment row in OCPizza_DB (idempotent on the notification's idempotency key). */
    private function recordPayment(array $n, int $orderId): void
    {
        $payment = [
            'shop_order_id' => $orderId,
            'provider' => 'sogecommerce',
            'transaction_key' => (string) $n['idempotency_key'],
            'amount_cents' => (int) $n['amount_cents'],
            'currency' => (string) $n['currency'],
            'status' => (string) $n['outcome'],
            'raw_status' => (string) ($n['raw_status'] ?? ''),
        ];
        // Optional in the notification (a cancelled payment has no uuid): sent only when known.
        foreach (['transaction_id' => 'transaction_id', 'transaction_uuid' => 'transaction_uuid', 'occurred_at' => 'transaction_date'] as $to => $from) {
            if (isset($n[$from]) && (string) $n[$from] !== '') {
                $payment[$to] = (string) $n[$from];
            }
        }
        AsciiFields::payment($payment);
        $this->gateway->recordPayment($payment);
    }

    private function refused(\Throwable $e, string $source): IpnResponse
    {
        if ($e instanceof \OCPizza\SignatureException) {
            $this->logger->warning('IPN (' . $source . '): refused, signature or mode: ' . self::short($e->getMessage()));

            return new IpnResponse(200, 'KO-Invalid signature');
        }
        if ($e instanceof \OCPizza\ValidationException) {
            $this->logger->warning('IPN (' . $source . '): refused, invalid notification: ' . self::short($e->getMessage()));
            // The extension's messages start with the field name: enough for the gateway's back office history.
            $field = preg_match('/^(vads_[a-z0-9_]+|signature):/', $e->getMessage(), $m) === 1 ? ': ' . $m[1] : '';

            return new IpnResponse(200, 'KO-Invalid notification' . $field);
        }
        $this->logger->error('IPN (' . $source . '): could not verify: ' . get_class($e) . ': ' . self::short($e->getMessage()));

        return new IpnResponse(500, 'KO-Could not verify, retry later');
    }

    /** Bounded, single-line text for logs and bodies (the extension's messages name fields, never secrets). */
    private static function short(string $text, int $max = 160): string
    {
        $text = (string) preg_replace('/[\x00-\x1f\x7f]+/', ' ', $text);

        return mb_substr($text, 0, $max);
    }
}
