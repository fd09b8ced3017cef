<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Config;

if (!defined('_PS_VERSION_')) {
    exit;
}


use OCPizzaModule\Contract\ConfigReader;

/** Typed view of the stored configuration; never holds anything the merchant did not save. */
final class Settings
{
    /** @var ConfigReader */
    private $config;

    public function __construct(ConfigReader $config)
    {
        $this->config = $config;
    }

    public function siteId(): string
    {
        return (string) $this->config->get(Keys::SITE_ID);
    }

    public function mode(): string
    {
        return $this->config->get(Keys::MODE) === 'PRODUCTION' ? 'PRODUCTION' : 'TEST';
    }

    /** The key of the configured mode, trimmed (the only trim anywhere, as the gateway's own module does). */
    public function key(): string
    {
        $k = $this->mode() === 'PRODUCTION' ? Keys::KEY_PRODUCTION : Keys::KEY_TEST;

        return trim((string) $this->config->get($k));
    }

    public function algorithm(): string
    {
        return $this->config->get(Keys::ALGORITHM) === 'SHA-1' ? 'SHA-1' : 'HMAC-SHA-256';
    }

    public function gatewayUrl(): string
    {
        $url = (string) $this->config->get(Keys::GATEWAY_URL);

        return $url !== '' ? $url : Keys::DEFAULT_GATEWAY_URL;
    }

    /** Base URL of the REST API (`…/api-payment/`), with its trailing slash. */
    public function restApiUrl(): string
    {
        $url = (string) $this->config->get(Keys::REST_URL);

        return rtrim($url !== '' ? $url : Keys::DEFAULT_REST_URL, '/') . '/';
    }

    /**
     * The REST password of the configured mode: HTTP Basic password of the REST API (refunds) and the key of REST
     * notifications' kr-hash. Trimmed like the form keys.
     */
    public function restPassword(): string
    {
        $k = $this->mode() === 'PRODUCTION' ? Keys::REST_PASSWORD_PRODUCTION : Keys::REST_PASSWORD_TEST;

        return trim((string) $this->config->get($k));
    }

    public function databaseUrl(): string
    {
        return (string) $this->config->get(Keys::DB_URL);
    }

    public function bridgeUrl(): string
    {
        return rtrim((string) $this->config->get(Keys::BRIDGE_URL), '/');
    }

    public function webhookSecret(): string
    {
        return (string) $this->config->get(Keys::WEBHOOK_SECRET);
    }

    public function cronToken(): string
    {
        return (string) $this->config->get(Keys::CRON_TOKEN);
    }

    public function stateMapping(): StateMappingConfig
    {
        return StateMappingConfig::fromJson((string) $this->config->get(Keys::STATE_MAP));
    }

    /** @return array<int, string> carrier id => restaurant code, for takeaway carriers */
    public function pickupCarriers(): array
    {
        $decoded = json_decode((string) $this->config->get(Keys::PICKUP_CARRIERS), true);
        $out = [];
        if (is_array($decoded)) {
            foreach ($decoded as $carrier => $code) {
                $out[(int) $carrier] = (string) $code;
            }
        }

        return $out;
    }

    public function stateId(string $key): int
    {
        return (int) $this->config->get($key);
    }

    /** Ready to take card payments: everything the hosted form and the IPN need is set. */
    public function isCardPaymentReady(): bool
    {
        return preg_match('/^\d{8}$/', $this->siteId()) === 1 && $this->key() !== '';
    }

    /** Ready to ask the gateway for refunds and to verify REST notifications. */
    public function isRestReady(): bool
    {
        return preg_match('/^\d{8}$/', $this->siteId()) === 1 && $this->restPassword() !== '';
    }

    public function isStoreReady(): bool
    {
        return $this->databaseUrl() !== '';
    }

    public function isBridgeReady(): bool
    {
        return $this->bridgeUrl() !== '' && $this->webhookSecret() !== '';
    }
}
