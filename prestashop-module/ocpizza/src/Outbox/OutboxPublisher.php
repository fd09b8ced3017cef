<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Outbox;

if (!defined('_PS_VERSION_')) {
    exit;
}

use OCPizzaModule\Config\Settings;
use OCPizzaModule\Contract\ExtensionGateway;
use OCPizzaModule\Contract\Logger;

/**
 * Sends OCPizza_DB's pending outbox events to the bridge (Store::publishOutbox: signed POSTs, short timeout, a down
 * bridge loses nothing). Failures are logged and swallowed: the customer and the gateway never see them, and
 * the cron or the CLI script publishes what is left.
 */
final class OutboxPublisher
{
    /** @var Settings */ private $settings;
    /** @var ExtensionGateway */ private $gateway;
    /** @var Logger */ private $logger;

    public function __construct(Settings $settings, ExtensionGateway $gateway, Logger $logger)
    {
        $this->settings = $settings;
        $this->gateway = $gateway;
        $this->logger = $logger;
    }

    /** @return array|null the extension's counts, null when nothing was attempted or it failed */
    public function publish(int $max = 100): ?array
    {
        if (!$this->gateway->isLoaded() || !$this->settings->isBridgeReady() || !$this->settings->isStoreReady()) {
            return null;
        }
        try {
            $counts = $this->gateway->publishOutbox($this->settings->bridgeUrl(), $this->settings->webhookSecret(), $max);
        } catch (\Throwable $e) {
            // The extension never puts the secret in a message; the class and message are enough to diagnose.
            $this->logger->warning('Outbox: publishing failed: ' . get_class($e) . ': ' . mb_substr($e->getMessage(), 0, 200));

            return null;
        }
        if ((int) ($counts['failed'] ?? 0) > 0) {
            $this->logger->warning('Outbox: ' . (int) $counts['failed'] . ' event(s) not accepted by the bridge, ' . (int) ($counts['pending'] ?? 0) . ' pending');
        }

        return $counts;
    }
}
