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


/**
 * What the notification URL answers. 200 once the message is verified and recorded (duplicates included, and
 * refused messages too: a retry would not make them valid); non-200 only when it could not be recorded, so that
 * the gateway retries.
 */
final class IpnResponse
{
    /** @var int */
    public $httpStatus;
    /** @var string short plain text, OK-… or KO-… */
    public $body;
    /** @var int|null the order of the cart after processing */
    public $orderId;
    /** @var string|null the verified outcome, null when the message was not verified */
    public $outcome;

    public function __construct(int $httpStatus, string $body, ?int $orderId = null, ?string $outcome = null)
    {
        $this->httpStatus = $httpStatus;
        $this->body = $body;
        $this->orderId = $orderId;
        $this->outcome = $outcome;
    }

    public function isVerified(): bool
    {
        return $this->outcome !== null;
    }
}
