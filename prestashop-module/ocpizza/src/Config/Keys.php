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


/** Configuration keys owned by the module (all prefixed OCPIZZA_). */
final class Keys
{
    public const SITE_ID = 'OCPIZZA_SITE_ID';
    public const KEY_TEST = 'OCPIZZA_KEY_TEST';
    public const KEY_PRODUCTION = 'OCPIZZA_KEY_PRODUCTION';
    public const MODE = 'OCPIZZA_MODE';
    public const ALGORITHM = 'OCPIZZA_ALGORITHM';
    public const GATEWAY_URL = 'OCPIZZA_GATEWAY_URL';
    public const DB_URL = 'OCPIZZA_DB_URL';
    public const BRIDGE_URL = 'OCPIZZA_BRIDGE_URL';
    public const WEBHOOK_SECRET = 'OCPIZZA_WEBHOOK_SECRET';
    public const STATE_MAP = 'OCPIZZA_STATE_MAP';
    public const PICKUP_CARRIERS = 'OCPIZZA_PICKUP_CARRIERS';
    public const CRON_TOKEN = 'OCPIZZA_CRON_TOKEN';
    /** SogeCommerce REST API (refunds, REST notifications): its base URL and the shop's REST passwords. */
    public const REST_URL = 'OCPIZZA_REST_URL';
    public const REST_PASSWORD_TEST = 'OCPIZZA_REST_PASSWORD_TEST';
    public const REST_PASSWORD_PRODUCTION = 'OCPIZZA_REST_PASSWORD_PRODUCTION';

    /** Ids of the order states created at install, by role. */
    public const OS_PENDING = 'OCPIZZA_OS_PENDING';
    public const OS_TO_VALIDATE = 'OCPIZZA_OS_TO_VALIDATE';
    public const OS_AWAITING_OFFLINE = 'OCPIZZA_OS_AWAITING_OFFLINE';
    public const OS_PREPARING = 'OCPIZZA_OS_PREPARING';
    public const OS_READY = 'OCPIZZA_OS_READY';
    public const OS_DELIVERING = 'OCPIZZA_OS_DELIVERING';
    public const OS_PARTIALLY_REFUNDED = 'OCPIZZA_OS_PARTIALLY_REFUNDED';

    public const DEFAULT_GATEWAY_URL = 'https://sogecommerce.societegenerale.eu/vads-payment/';
    public const DEFAULT_REST_URL = 'https://api-sogecommerce.societegenerale.eu/api-payment/';

    /** Keys removed on uninstall (order state ids are kept with their states). */
    public const REMOVABLE = [
        self::SITE_ID, self::KEY_TEST, self::KEY_PRODUCTION, self::MODE, self::ALGORITHM, self::GATEWAY_URL,
        self::DB_URL, self::BRIDGE_URL, self::WEBHOOK_SECRET, self::STATE_MAP, self::PICKUP_CARRIERS,
        self::CRON_TOKEN, self::REST_URL, self::REST_PASSWORD_TEST, self::REST_PASSWORD_PRODUCTION,
    ];
}
