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


use OCPizzaModule\Ipn\CartSnapshot;
use OCPizzaModule\Ipn\ExistingOrder;

/** The shop's carts and orders as the IPN needs them (PrestaShop in the shop, an in-memory fake in tests). */
interface ShopOrders
{
    public function cart(int $cartId): ?CartSnapshot;

    public function findOrder(int $cartId): ?ExistingOrder;

    /**
     * Creates the order of the cart (validateOrder) in $stateId with the amount the gateway reported.
     *
     * @param string $amountPaid decimal string in the cart currency ("25.90")
     *
     * @return int the new order id
     */
    public function createOrder(int $cartId, int $stateId, string $amountPaid, string $transactionId, ?string $message): int;

    public function changeState(int $orderId, int $stateId, ?string $note): void;

    /**
     * Makes sure the order is in OCPizza_DB (Store::recordOrder, idempotent); throws when it could not be recorded.
     */
    public function ensureRecorded(int $orderId): void;
}
