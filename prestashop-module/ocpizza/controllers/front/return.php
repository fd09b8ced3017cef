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
 * The customer's return from the payment page. The IPN usually creates the order first; if it is late, this page
 * waits briefly, then processes the signed return itself (same processor, same per-cart lock, so exactly one
 * order). A customer whose payment was accepted is never told it failed: without an order yet, the page says
 * the payment is received and the order being finalised.
 */
class OcpizzaReturnModuleFrontController extends ModuleFrontController
{
    /** @var Ocpizza */
    public $module;
    /** Polling of the IPN's order: attempts and pause between them (about 2 s in total). */
    public $pollAttempts = 5;
    public $pollDelayMicros = 400000;

    public function initContent()
    {
        parent::initContent();
        $cartId = (int) Tools::getValue('id_cart');
        $cart = new Cart($cartId);
        $customer = Validate::isLoadedObject($cart) ? new Customer((int) $cart->id_customer) : null;
        if ($customer === null || !Validate::isLoadedObject($customer)
            || !\OCPizzaModule\Security\TokenGuard::matches((string) $customer->secure_key, Tools::getValue('key'))) {
            Tools::redirect($this->context->link->getPageLink('index', true));

            return;
        }
        $orderId = $this->waitForOrder($cartId);
        $outcome = null;
        if ($orderId === 0 && $this->module->isPaymentAvailable()) {
            $fields = $this->signedReturn();
            if ($fields !== null) {
                $response = $this->module->ipnProcessor()->process($fields, 'return');
                $orderId = (int) $response->orderId;
                $outcome = $response->outcome;
            }
        }
        if ($orderId > 0) {
            Tools::redirect($this->context->link->getPageLink('order-confirmation', true, null, [
                'id_cart' => $cartId,
                'id_module' => (int) $this->module->id,
                'id_order' => $orderId,
                'key' => $customer->secure_key,
            ]));

            return;
        }
        // Only a verified refusal or cancellation is reported as such; anything else may still be a payment.
        $this->context->smarty->assign([
            'ocpizza_state' => in_array($outcome, ['failed', 'cancelled'], true) ? 'not_paid' : 'processing',
            'ocpizza_retry_url' => $this->context->link->getPageLink('order', true, null, ['step' => 3]),
            'ocpizza_history_url' => $this->context->link->getPageLink('history', true),
        ]);
        $this->setTemplate('module:ocpizza/views/templates/front/return.tpl');
    }

    private function waitForOrder(int $cartId): int
    {
        for ($i = 0; $i < $this->pollAttempts; ++$i) {
            $orderId = (int) Order::getIdByCartId($cartId);
            if ($orderId > 0) {
                return $orderId;
            }
            if ($i + 1 < $this->pollAttempts) {
                usleep($this->pollDelayMicros);
            }
        }

        return 0;
    }

    /** The vads_* fields and signature of the browser return (vads_return_mode=GET), exactly as sent. */
    private function signedReturn(): ?array
    {
        // Tools::getAllValues(): the values as received (no stripslashes, unlike Tools::getValue()), for the same
        // reason as the IPN: the signature covers the exact values.
        $all = Tools::getAllValues();
        if (!isset($all['signature'], $all['vads_order_id']) || !is_string($all['signature'])) {
            return null;
        }
        $fields = [];
        foreach ($all as $name => $value) {
            if (is_string($name) && is_string($value) && (strpos($name, 'vads_') === 0 || $name === 'signature')) {
                $fields[$name] = $value;
            }
        }

        return $fields;
    }
}
