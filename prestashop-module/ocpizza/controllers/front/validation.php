<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Card or cash on delivery, payment at the restaurant: the order is created now, in the "awaiting payment on
 * delivery or pickup" state, under the same per-cart lock as the IPN. Acts only on the payment step's POST with the
 * customer's token; anything else goes back to the checkout.
 */
class OcpizzaValidationModuleFrontController extends ModuleFrontController
{
    /** @var Ocpizza */
    public $module;

    public function postProcess()
    {
        $cart = $this->context->cart;
        $method = (string) Tools::getValue('method');
        $orderStep = $this->context->link->getPageLink('order', true, null, ['step' => 1]);
        // Only the payment step's own POST (token) places an order, and only where the payment options hook would
        // have offered this module (currency, country, group, carrier restrictions).
        if (!$this->module->isPaymentSubmission() || !in_array($method, Ocpizza::OFFLINE_METHODS, true) || !Validate::isLoadedObject($cart)
            || (int) $cart->id_customer === 0 || (int) $cart->id_address_delivery === 0 || !$this->module->isPaymentAvailable()
            || !$this->module->isAllowedForCart($cart)) {
            Tools::redirect($orderStep);

            return;
        }
        $customer = new Customer((int) $cart->id_customer);
        if (!Validate::isLoadedObject($customer)) {
            Tools::redirect($orderStep);

            return;
        }
        $problems = $this->module->cartProblems($cart);
        $route = $problems === [] ? $this->module->checkCart($cart)['route'] : null;
        if ($route !== null && ($method === 'at_restaurant') !== ($route->fulfilment === 'takeaway')) {
            $problems[] = $method === 'at_restaurant'
                ? $this->module->l('Payment at the restaurant is for takeaway orders.', 'validation')
                : $this->module->l('Payment on delivery is for delivered orders.', 'validation');
        }
        if ($problems !== []) {
            $this->context->smarty->assign(['ocpizza_problems' => $problems, 'ocpizza_cart_url' => $this->context->link->getPageLink('cart', true, null, ['action' => 'show'])]);
            $this->setTemplate('module:ocpizza/views/templates/front/unavailable.tpl');

            return;
        }
        $module = $this->module;
        $labels = [
            'card_on_delivery' => $module->l('Card on delivery', 'validation'),
            'cash_on_delivery' => $module->l('Cash on delivery', 'validation'),
            'at_restaurant' => $module->l('Payment at the restaurant', 'validation'),
        ];
        $cartId = (int) $cart->id;
        $orderId = $module->cartLock()->synchronized('ocpizza_cart_' . $cartId, 10, static function () use ($module, $cart, $customer, $method, $labels, $cartId) {
            $existing = (int) Order::getIdByCartId($cartId);
            if ($existing > 0) {
                return $existing; // double click: the first request created it
            }
            $module->links()->rememberPaymentMethod($cartId, $method);
            $module->validateOrder(
                $cartId,
                (int) Configuration::get(\OCPizzaModule\Config\Keys::OS_AWAITING_OFFLINE),
                (float) $cart->getOrderTotal(true, Cart::BOTH),
                $labels[$method],
                null,
                [],
                (int) $cart->id_currency,
                false,
                $customer->secure_key
            );

            return (int) $module->currentOrder;
        });
        Tools::redirect($this->context->link->getPageLink('order-confirmation', true, null, [
            'id_cart' => $cartId,
            'id_module' => (int) $module->id,
            'id_order' => $orderId,
            'key' => $customer->secure_key,
        ]));
    }
}
