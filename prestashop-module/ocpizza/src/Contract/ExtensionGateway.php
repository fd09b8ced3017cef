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

    /** @return array{order_id:int, created:bool} */
    public function recordOrder(array $order): array;

    /** @return array{payment_id:int, created:bool} */
    public function recordPayment(array $payment): array;

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
