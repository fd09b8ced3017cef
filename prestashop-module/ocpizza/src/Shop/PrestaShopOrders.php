<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Shop;

if (!defined('_PS_VERSION_')) {
    exit;
}

use OCPizzaModule\Contract\ShopOrders;
use OCPizzaModule\Ipn\CartSnapshot;
use OCPizzaModule\Ipn\ExistingOrder;
use OCPizzaModule\Payment\Money;

/** ShopOrders over PrestaShop: carts, orders, validateOrder and OrderHistory. */
final class PrestaShopOrders implements ShopOrders
{
    /** @var \PaymentModule */
    private $module;
    /** @var OrderRecorder */
    private $recorder;
    /** @var string label of the payment stored on the order */
    private $paymentLabel;

    public function __construct(\PaymentModule $module, OrderRecorder $recorder, string $paymentLabel)
    {
        $this->module = $module;
        $this->recorder = $recorder;
        $this->paymentLabel = $paymentLabel;
    }

    public function cart(int $cartId): ?CartSnapshot
    {
        $cart = new \Cart($cartId);
        if (!\Validate::isLoadedObject($cart) || (int) $cart->id_customer === 0) {
            return null;
        }
        $this->useCartContext($cart); // totals depend on the customer's group and addresses
        $currency = new \Currency((int) $cart->id_currency);
        $decimals = (int) $currency->precision;

        return new CartSnapshot($cartId, (string) $currency->iso_code, $decimals, Money::toMinor($cart->getOrderTotal(true, \Cart::BOTH), $decimals));
    }

    public function findOrder(int $cartId): ?ExistingOrder
    {
        $orderId = (int) \Order::getIdByCartId($cartId);
        if ($orderId <= 0) {
            return null;
        }
        $order = new \Order($orderId);

        return new ExistingOrder($orderId, (int) $order->getCurrentState(), (bool) $order->hasBeenPaid());
    }

    public function createOrder(int $cartId, int $stateId, string $amountPaid, string $transactionId, ?string $message): int
    {
        $cart = new \Cart($cartId);
        $customer = $this->useCartContext($cart);
        $this->module->validateOrder(
            $cartId,
            $stateId,
            (float) $amountPaid,
            $this->paymentLabel,
            $message,
            ['transaction_id' => $transactionId],
            (int) $cart->id_currency,
            false,
            $customer->secure_key
        );

        return (int) $this->module->currentOrder;
    }

    /** The IPN has no customer session: the context PrestaShop computes in is built from the cart. */
    private function useCartContext(\Cart $cart): \Customer
    {
        $customer = new \Customer((int) $cart->id_customer);
        $context = \Context::getContext();
        $context->cart = $cart;
        $context->customer = $customer;
        $context->currency = new \Currency((int) $cart->id_currency);
        $context->language = new \Language((int) $cart->id_lang);
        $context->shop = new \Shop((int) $cart->id_shop);

        return $customer;
    }

    public function changeState(int $orderId, int $stateId, ?string $note): void
    {
        $order = new \Order($orderId);
        $history = new \OrderHistory();
        $history->id_order = $orderId;
        $history->changeIdOrderState($stateId, $order, true);
        $history->addWithemail(true);
        if ($note !== null && $note !== '') {
            $msg = new \Message();
            $msg->id_order = $orderId;
            $msg->id_cart = (int) $order->id_cart;
            $msg->id_customer = (int) $order->id_customer;
            $msg->message = mb_substr($note, 0, 1600);
            $msg->private = 1;
            $msg->add();
        }
    }

    public function ensureRecorded(int $orderId): void
    {
        $this->recorder->record(new \Order($orderId));
    }
}
