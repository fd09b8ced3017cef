<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Contract;

if (!defined('_PS_VERSION_')) {
    exit;
}


/**
 * Everything the module asks of the `ocpizza` PHP extension (namespace OCPizza, see issue 3), behind one interface
 * so that the module logic is testable without the extension and without OCPizza_DB.
 *
 * Methods throw the extension's exceptions (\OCPizza\SignatureException, \OCPizza\ValidationException,
 * \OCPizza\DbException) or ExtensionMissing when the extension is not loaded.
 */
interface ExtensionGateway
{
    public function isLoaded(): bool;

    /** phpversion('ocpizza'), or null when not loaded. */
    public function version(): ?string;

    public function sign(array $fields, string $key, string $algorithm): string;

    public function parseNotification(array $post, string $key, string $mode, string $algorithm): array;

    /** The REST (kr-*) form of a notification, in parseNotification()'s shape (SogeCommerce::parseRestNotification). */
    public function parseRestNotification(array $post, string $restPassword, string $hmacKey, string $mode): array;

    /**
     * Asks the gateway to cancel or refund (SogeCommerce::cancelOrRefund); throws \OCPizza\GatewayException on a
     * refusal, a timeout or a network error. Never retried here: the caller keeps one call per refund.
     */
    public function cancelOrRefund(string $apiUrl, string $shopId, string $restPassword, string $uuid, int $amountCents, string $currency): array;

    /** @return array{order_id:int, created:bool} */
    public function recordOrder(array $order): array;

    /** @return array{payment_id:int, created:bool} */
    public function recordPayment(array $payment): array;

    /**
     * Store::recordRefund: amount_cents, or still_authorised_cents for a cancellation the gateway notified; the
     * payment by payment_transaction_key or payment_transaction_uuid, else the order's first paid one.
     *
     * @return array{refund_id:int, created:bool, amount_cents:int, paid_cents:int, refunded_total_cents:int, full:bool}
     *     created false: this key was already recorded (nothing written); full: nothing left to refund
     */
    public function recordRefund(array $refund): array;

    public function setStatus(int $shopOrderId, string $status, ?string $note = null): bool;

    /** The order's OC Pizza status in OCPizza_DB, null when it has no such order. */
    public function orderStatus(int $shopOrderId): ?string;

    /** @return string[] SKUs the restaurant can make now */
    public function availableProducts(string $restaurant): array;

    /** @return array<int, array> active restaurants: code, name, address, phone, delivery_postcodes */
    public function restaurants(): array;

    /** @return array counts returned by the extension (published, failed, pending) */
    public function publishOutbox(string $bridgeUrl, string $secret, int $max): array;
}
