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
use OCPizzaModule\Refund\RefundKey;

/**
 * Handles one payment notification (the IPN, or the signed browser return when the IPN is late):
 * verify and parse with the extension, then under a per-cart lock create the order or update its state
 * idempotently, never moving a paid order back.
 *
 * Two forms reach the IPN: the form API's (vads_* + signature, verified with the mode's key) and the REST API's
 * (kr-hash, kr-hash-algorithm, kr-hash-key, kr-answer-type, kr-answer, verified with the mode's REST password);
 * the extension gives both the same shape, so one code decides. Money given back at the gateway (a CREDIT, or the
 * paid DEBIT cancelled or authorised for less before capture) is recorded with Store::recordRefund under the key
 * RefundKey builds from the gateway's transaction, the one the back office's refund uses too: whichever comes
 * second writes nothing and changes no state.
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

    /** A REST notification carries kr-* fields (reference §5.1: kr-hash, kr-hash-algorithm, kr-answer); any one of
     * them makes it one, so that a REST message missing a field is refused naming it rather than read as a form. */
    public static function isRest(array $post): bool
    {
        foreach (array_keys($post) as $name) {
            if (strpos((string) $name, 'kr-') === 0) {
                return true;
            }
        }

        return false;
    }

    /** @param array<string, string> $post the posted fields, as received (vads_* and signature, or kr-*) */
    public function process(array $post, string $source = 'ipn'): IpnResponse
    {
        if (!$this->gateway->isLoaded()) {
            $this->logger->error('IPN: the ocpizza extension is not loaded; notification not processed');

            return new IpnResponse(503, 'KO-Extension not loaded');
        }
        $rest = self::isRest($post);
        // Not configured: 503, so that the gateway's automatic retry delivers it again once the merchant has set it.
        if ($rest && !$this->settings->isRestReady()) {
            $this->logger->error('IPN: REST notification, but the shop id or the REST password of mode ' . $this->settings->mode() . ' is not configured; notification not processed');

            return new IpnResponse(503, 'KO-Module not configured: REST password');
        }
        if (!$rest && !$this->settings->isCardPaymentReady()) {
            $this->logger->error('IPN: shop id or key not configured; notification not processed');

            return new IpnResponse(503, 'KO-Module not configured');
        }
        try {
            // The IPN endpoint verifies REST messages with the password only (kr-hash-key "password"): the HMAC key
            // signs browser returns, which this endpoint does not take (reference §6).
            $n = $rest
                ? $this->gateway->parseRestNotification($post, $this->settings->restPassword(), '', $this->settings->mode())
                : $this->gateway->parseNotification($post, $this->settings->key(), $this->settings->mode(), $this->settings->algorithm());
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
            // The order payment's "transaction id" is the gateway's uuid: the id SogeCommerce's REST API (refunds
            // from the back office read it there) and its back office search know; vads_trans_id is only unique per
            // shop and day. Without a uuid (never for an accepted payment), the short id is better than nothing.
            $uuid = (string) ($n['transaction_uuid'] ?? '');
            $transactionId = $uuid !== '' ? $uuid : (string) ($n['transaction_id'] ?? '');
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
        if (($n['order_status'] ?? null) === 'ABANDONED') {
            // Reference §6: a REST "abandoned" for an order that exists says nothing about the order's payment.
            $this->logger->info('IPN (' . $source . '): order ' . $orderId . ', abandoned payment notification ignored');

            return new IpnResponse(200, 'OK-Abandoned payment ignored', $orderId, $outcome);
        }
        if ($isRefund) {
            return $this->refund($n, $existing, $source);
        }
        $target = $this->states->forOutcome($outcome);
        if ($existing->hasBeenPaid && $this->isCancellation($n, $cart)) {
            return $this->cancellation($n, $existing, $source);
        }
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

    /**
     * A CREDIT: refunded → one refund row (idempotent on the CREDIT's uuid) and the refund state; refund_pending
     * and refund_failed give nothing back yet: noted, nothing recorded.
     */
    private function refund(array $n, ExistingOrder $existing, string $source): IpnResponse
    {
        $outcome = (string) $n['outcome'];
        $orderId = $existing->orderId;
        if ($outcome !== 'refunded') {
            $this->logger->info('IPN (' . $source . '): order ' . $orderId . ', refund ' . $outcome . ' (' . self::short((string) ($n['raw_status'] ?? ''), 40) . '), nothing recorded');

            return new IpnResponse(200, 'OK-Refund ' . $outcome . ' noted, nothing recorded', $orderId, $outcome);
        }
        if (!$existing->hasBeenPaid) {
            $this->logger->warning('IPN (' . $source . '): order ' . $orderId . ' was never paid, refund not recorded');

            return new IpnResponse(200, 'KO-Order ' . $orderId . ' was never paid: refund not recorded', $orderId, $outcome);
        }
        $uuid = (string) ($n['transaction_uuid'] ?? '');
        $field = isset($n['order_status']) ? 'kr-answer.transactions[0].uuid' : 'vads_trans_uuid';
        if (preg_match('/^[A-Za-z0-9]{1,64}$/', $uuid) !== 1) {
            $this->logger->warning('IPN (' . $source . '): order ' . $orderId . ', refund without a transaction uuid, not recorded');

            return new IpnResponse(200, 'KO-Invalid notification: ' . $field . ' (a refund needs its transaction uuid)', $orderId, $outcome);
        }
        $refund = [
            'shop_order_id' => $orderId,
            'transaction_key' => RefundKey::refund((string) $n['site_id'], $uuid),
            'amount_cents' => (int) $n['amount_cents'],
        ] + $this->refundDetails($n);
        $this->orders->ensureRecorded($orderId);

        return $this->recorded($this->gateway->recordRefund($refund), $existing, 'Refund', $source, $outcome);
    }

    /**
     * The paid DEBIT itself brought down before capture: CANCELLED (nothing taken) or still authorised for less
     * than the cart. Not ABANDONED (no transaction) and only with the transaction's uuid; the Store then checks
     * that this uuid is the paid payment's (payment_transaction_uuid).
     */
    private function isCancellation(array $n, CartSnapshot $cart): bool
    {
        if (($n['operation_type'] ?? null) !== 'DEBIT' || preg_match('/^[A-Za-z0-9]{1,64}$/', (string) ($n['transaction_uuid'] ?? '')) !== 1) {
            return false;
        }
        if ($n['outcome'] === 'cancelled') {
            return ($n['raw_status'] ?? '') === 'CANCELLED';
        }

        return $n['outcome'] === 'paid' && strtoupper((string) $n['currency']) === strtoupper($cart->currency)
            && (int) $n['amount_cents'] < $cart->totalMinor;
    }

    private function cancellation(array $n, ExistingOrder $existing, string $source): IpnResponse
    {
        $outcome = (string) $n['outcome'];
        $orderId = $existing->orderId;
        $still = $outcome === 'cancelled' ? 0 : max(0, (int) $n['amount_cents']);
        $uuid = (string) $n['transaction_uuid'];
        $refund = [
            'shop_order_id' => $orderId,
            'transaction_key' => RefundKey::cancellation((string) $n['site_id'], $uuid, $still),
            'still_authorised_cents' => $still,
            'payment_transaction_uuid' => strtolower($uuid),
        ] + $this->refundDetails($n);
        // The paid payment's own transaction is named, so its uuid is not repeated as the refund's transaction.
        unset($refund['transaction_uuid']);
        $this->orders->ensureRecorded($orderId);
        try {
            $r = $this->gateway->recordRefund($refund);
        } catch (\OCPizza\ValidationException $e) {
            $field = self::fieldOf($e);
            if ($field === 'payment_transaction_uuid' || $field === 'still_authorised_cents') {
                // Not the paid payment's transaction, or a step already covered by a later one (notifications out of
                // order): nothing is given back by this message; the paid order keeps its state.
                $this->logger->warning('IPN (' . $source . '): order ' . $orderId . ' already paid, ' . $outcome . ' notification of ' . (int) $n['amount_cents'] . ' minor units not recorded: ' . self::short($e->getMessage()));

                return new IpnResponse(200, 'OK-Order already paid, status kept', $orderId, $outcome);
            }
            throw $e;
        }

        return $this->recorded($r, $existing, 'Cancellation', $source, $outcome);
    }

    /** What a refund notified by the gateway says besides its amount and key. */
    private function refundDetails(array $n): array
    {
        $refund = [
            'currency' => (string) $n['currency'],
            'source' => 'gateway',
            'reason' => 'Notified by SogeCommerce (' . (isset($n['order_status']) ? 'REST' : 'form') . ' IPN, ' . self::short((string) ($n['raw_status'] ?? ''), 40) . ')',
            'requested_by' => 'SogeCommerce' . (($n['trigger'] ?? null) !== null && (string) $n['trigger'] !== '' ? ' (' . self::short((string) $n['trigger'], 20) . ')' : ''),
        ];
        foreach (['transaction_id' => 'transaction_id', 'transaction_uuid' => 'transaction_uuid', 'occurred_at' => 'transaction_date'] as $to => $from) {
            if (isset($n[$from]) && (string) $n[$from] !== '') {
                $refund[$to] = (string) $n[$from];
            }
        }

        return $refund;
    }

    /**
     * The refund state after a refund the Store recorded. Already known (created=false, e.g. made from the shop's
     * back office, or a re-send): no state change. Full (nothing left to refund) → PS_OS_REFUND from any state. Partial
     * → "Partially refunded" only from "Payment accepted": an order further along in the kitchen (or delivered,
     * cancelled) keeps its state, a paid order never goes back; the refund is in OCPizza_DB either way.
     */
    private function recorded(array $r, ExistingOrder $existing, string $what, string $source, string $outcome): IpnResponse
    {
        $orderId = $existing->orderId;
        if (empty($r['created'])) {
            return new IpnResponse(200, 'OK-' . $what . ' already registered', $orderId, $outcome);
        }
        $amount = (int) ($r['amount_cents'] ?? 0);
        $note = $what . ' of ' . $amount . ' minor units notified by the payment gateway';
        if (!empty($r['full'])) {
            $target = $this->states->refund;
        } elseif ($this->states->partialRefund > 0 && $existing->stateId === $this->states->payment) {
            $target = $this->states->partialRefund;
        } else {
            $target = $existing->stateId;
        }
        if ($target !== $existing->stateId) {
            $this->orders->changeState($orderId, $target, $note);
        }
        $this->logger->info('IPN (' . $source . '): order ' . $orderId . ', ' . strtolower($what) . ' of ' . $amount . ' recorded (' . (!empty($r['full']) ? 'full' : 'partial') . '), state ' . $target);

        return new IpnResponse(200, 'OK-' . $what . ' recorded (' . (!empty($r['full']) ? 'full' : 'partial') . ')', $orderId, $outcome);
    }

    /** The field a ValidationException names: its $field, else the start of its message. */
    private static function fieldOf(\Throwable $e): string
    {
        if (property_exists($e, 'field') && is_string($e->field) && $e->field !== '') {
            return $e->field;
        }

        return preg_match('/^([A-Za-z0-9_\-\.\[\]"]+):/', $e->getMessage(), $m) === 1 ? $m[1] : '';
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
            // The extension names the field (vads_amount, kr-answer-type, kr-answer.transactions[0].amount…): enough
            // for the gateway's back office history. Never the value: it could be anything the sender posted.
            $field = self::fieldOf($e);
            $field = preg_match('/^(vads_[a-z0-9_]+|signature|mode|kr-[a-z-]+(\.[A-Za-z0-9_\.\[\]]+)?)$/', $field) === 1 ? ': ' . $field : '';

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
