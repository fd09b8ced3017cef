<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Payment;

if (!defined('_PS_VERSION_')) {
    exit;
}


use OCPizzaModule\Config\Settings;
use OCPizzaModule\Contract\ExtensionGateway;

/** Builds the signed vads_* fields of SogeCommerce's hosted payment form for one cart. */
final class FormBuilder
{
    /** @var Settings */
    private $settings;
    /** @var ExtensionGateway */
    private $gateway;
    /** @var TransactionIdAllocator */
    private $ids;

    public function __construct(Settings $settings, ExtensionGateway $gateway, TransactionIdAllocator $ids)
    {
        $this->settings = $settings;
        $this->gateway = $gateway;
        $this->ids = $ids;
    }

    /**
     * @return array<string, string> every vads_* field plus `signature`, values exactly as they must be posted
     *
     * @throws \InvalidArgumentException naming the field when the request cannot be paid online
     */
    public function build(PaymentRequest $request): array
    {
        if ($request->amountMinor <= 0) {
            throw new \InvalidArgumentException('vads_amount: must be positive');
        }
        if (preg_match('/^\d{3}$/', $request->currencyNumeric) !== 1) {
            throw new \InvalidArgumentException('vads_currency: not an ISO 4217 numeric code');
        }
        if ($request->cartId <= 0) {
            throw new \InvalidArgumentException('vads_order_id: no cart');
        }
        $id = $this->ids->allocate($request->cartId);
        $fields = [
            'vads_action_mode' => 'INTERACTIVE',
            'vads_amount' => (string) $request->amountMinor,
            'vads_ctx_mode' => $this->settings->mode(),
            'vads_currency' => $request->currencyNumeric,
            'vads_language' => $request->language,
            'vads_order_id' => (string) $request->cartId,
            'vads_page_action' => 'PAYMENT',
            'vads_payment_config' => 'SINGLE',
            'vads_return_mode' => 'GET',
            'vads_site_id' => $this->settings->siteId(),
            'vads_trans_date' => $id['trans_date'],
            'vads_trans_id' => $id['trans_id'],
            'vads_url_check' => $request->ipnUrl,
            'vads_url_return' => $request->returnUrl,
            'vads_version' => 'V2',
        ];
        foreach ($request->customer as $name => $value) {
            $value = Normaliser::value((string) $value);
            if ($value !== '') { // optional fields: dropped when empty
                $fields['vads_cust_' . $name] = $value;
            }
        }
        $fields = Normaliser::fields($fields);
        ksort($fields, SORT_STRING);
        $fields['signature'] = $this->gateway->sign($fields, $this->settings->key(), $this->settings->algorithm());

        return $fields;
    }
}
