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
 * Builds the signed vads_* fields of the cart and shows the auto-submitting form to SogeCommerce's payment page.
 * No order is created here: the IPN creates it once the gateway reports the payment.
 */
class OcpizzaRedirectModuleFrontController extends ModuleFrontController
{
    /** @var Ocpizza */
    public $module;

    public function initContent()
    {
        parent::initContent();
        $cart = $this->context->cart;
        // The payment step's POST with the customer's token only, and only where the payment options hook would
        // have offered this module (currency, country, group, carrier restrictions).
        if (!$this->module->isPaymentSubmission() || !Validate::isLoadedObject($cart) || (int) $cart->id_customer === 0 || (int) $cart->id_address_delivery === 0
            || !$this->module->isPaymentAvailable() || !$this->module->settings()->isCardPaymentReady() || !$this->module->isAllowedForCart($cart)) {
            Tools::redirect($this->context->link->getPageLink('order', true, null, ['step' => 1]));

            return;
        }
        $customer = new Customer((int) $cart->id_customer);
        if (!Validate::isLoadedObject($customer)) {
            Tools::redirect($this->context->link->getPageLink('order', true, null, ['step' => 1]));

            return;
        }
        $problems = $this->module->cartProblems($cart);
        if ($problems !== []) {
            $this->context->smarty->assign(['ocpizza_problems' => $problems, 'ocpizza_cart_url' => $this->context->link->getPageLink('cart', true, null, ['action' => 'show'])]);
            $this->setTemplate('module:ocpizza/views/templates/front/unavailable.tpl');

            return;
        }
        if ((int) Order::getIdByCartId((int) $cart->id) > 0) {
            // Paid in another tab: nothing to pay any more.
            Tools::redirect($this->context->link->getPageLink('order', true, null, ['step' => 1]));

            return;
        }
        $this->module->links()->rememberPaymentMethod((int) $cart->id, 'card_online');
        $fields = $this->module->buildPaymentForm($cart);
        $this->context->smarty->assign([
            'ocpizza_action' => $this->module->settings()->gatewayUrl(),
            'ocpizza_fields' => $fields,
        ]);
        $this->setTemplate('module:ocpizza/views/templates/front/redirect.tpl');
    }
}
