<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Order;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * A PrestaShop order that cannot be recorded in OCPizza_DB because its data is refused (by the module's checks or
 * the extension's ValidationException), e.g. its shop order id is already recorded for a different order. A retry
 * would be refused again: the order stays unlinked and is listed, with this reason, on the configuration page.
 */
final class OrderRefused extends \RuntimeException
{
    /** @var int */
    public $orderId;
    /** @var string the refused field (shop_order_id, lines[0].sku…) */
    public $field;

    public function __construct(int $orderId, string $field, string $reason, ?\Throwable $previous = null)
    {
        parent::__construct($reason, 0, $previous);
        $this->orderId = $orderId;
        $this->field = $field;
    }
}
