<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Adapter;

if (!defined('_PS_VERSION_')) {
    exit;
}

use OCPizzaModule\Contract\ExtensionGateway;
use OCPizzaModule\Contract\ExtensionMissing;

/**
 * The real gateway: calls the `ocpizza` extension. The Store (connection pool) is created on first use only,
 * never when the module is loaded, and kept for the process (the extension pools per process).
 */
final class OcpizzaExtensionGateway implements ExtensionGateway
{
    /** @var string */
    private $databaseUrl;
    /** @var \OCPizza\Store|null */
    private $store;

    public function __construct(string $databaseUrl)
    {
        $this->databaseUrl = $databaseUrl;
    }

    public function isLoaded(): bool
    {
        return extension_loaded('ocpizza');
    }

    public function version(): ?string
    {
        $v = phpversion('ocpizza');

        return $v === false ? null : $v;
    }

    public function sign(array $fields, string $key, string $algorithm): string
    {
        $this->require();

        return \OCPizza\SogeCommerce::sign($fields, $key, $algorithm);
    }

    public function parseNotification(array $post, string $key, string $mode, string $algorithm): array
    {
        $this->require();

        return \OCPizza\SogeCommerce::parseNotification($post, $key, $mode, $algorithm);
    }

    public function parseRestNotification(array $post, string $restPassword, string $hmacKey, string $mode): array
    {
        $this->require();

        return \OCPizza\SogeCommerce::parseRestNotification($post, $restPassword, $hmacKey, $mode);
    }

    public function cancelOrRefund(string $apiUrl, string $shopId, string $restPassword, string $uuid, int $amountCents, string $currency): array
    {
        $this->require();

        return \OCPizza\SogeCommerce::cancelOrRefund($apiUrl, $shopId, $restPassword, $uuid, $amountCents, $currency);
    }

    public function recordOrder(array $order): array
    {
        return $this->store()->recordOrder($order);
    }

    public function recordPayment(array $payment): array
    {
        return $this->store()->recordPayment($payment);
    }

    public function recordRefund(array $refund): array
    {
        return $this->store()->recordRefund($refund);
    }

    public function setStatus(int $shopOrderId, string $status, ?string $note = null): bool
    {
        return $this->store()->setStatus($shopOrderId, $status, $note);
    }

    public function orderStatus(int $shopOrderId): ?string
    {
        return $this->store()->orderStatus($shopOrderId);
    }

    public function availableProducts(string $restaurant): array
    {
        return $this->store()->availableProducts($restaurant);
    }

    public function restaurants(): array
    {
        return $this->store()->restaurants();
    }

    public function publishOutbox(string $bridgeUrl, string $secret, int $max): array
    {
        return $this->store()->publishOutbox($bridgeUrl, $secret, $max);
    }

    private function store(): \OCPizza\Store
    {
        $this->require();
        if ($this->store === null) {
            if ($this->databaseUrl === '') {
                throw new \RuntimeException('OCPIZZA_DB_URL: not configured');
            }
            $this->store = new \OCPizza\Store($this->databaseUrl);
        }

        return $this->store;
    }

    private function require(): void
    {
        if (!extension_loaded('ocpizza')) {
            throw new ExtensionMissing('the ocpizza PHP extension is not loaded');
        }
    }
}
