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

use OCPizzaModule\Payment\Money;
use OCPizzaModule\Routing\Route;

/** Builds the array Store::recordOrder takes (issue 3) from an order snapshot and its route. */
final class OrderArrayBuilder
{
    public const PAYMENT_METHODS = ['card_online', 'card_on_delivery', 'cash_on_delivery', 'at_restaurant'];

    public function build(OrderSnapshot $o, Route $route): array
    {
        if (!in_array($o->paymentMethod, self::PAYMENT_METHODS, true)) {
            throw new \UnexpectedValueException('payment_method: unknown value');
        }
        $d = $o->decimals;
        $lines = [];
        $vatRates = [];
        foreach ($o->products as $p) {
            $vat = self::rate($p['vat_rate']);
            $vatRates[$vat] = true;
            $lines[] = [
                'kind' => 'product',
                'sku' => (string) $p['sku'],
                'name' => (string) $p['name'],
                'quantity' => (int) $p['quantity'],
                'unit_price_cents' => Money::toMinor($p['unit_price'], $d),
                'vat_rate' => $vat,
            ];
        }
        $shipping = Money::toMinor($o->shipping, $d);
        if ($shipping > 0) {
            $lines[] = [
                'kind' => 'delivery',
                'name' => $o->carrierName !== '' ? $o->carrierName : 'Livraison',
                'quantity' => 1,
                'unit_price_cents' => $shipping,
                'vat_rate' => self::rate($o->shippingVatRate),
            ];
        }
        foreach ($o->discounts as $r) {
            $amount = Money::toMinor($r['amount'], $d);
            if ($amount <= 0) {
                continue;
            }
            $lines[] = [
                'kind' => 'discount',
                'name' => (string) $r['name'],
                'quantity' => 1,
                'unit_price_cents' => -$amount,
                // A voucher reduces the products' VAT base; with one rate in the cart it is that rate.
                'vat_rate' => count($vatRates) === 1 ? (string) array_key_first($vatRates) : '0.00',
            ];
        }
        $total = Money::toMinor($o->total, $d);
        $order = [
            'shop_order_id' => $o->orderId,
            'reference' => $o->reference,
            'restaurant' => $route->restaurant,
            'placed_at' => $o->placedAt,
            'fulfilment' => $route->fulfilment,
            'payment_method' => $o->paymentMethod,
            'currency' => strtoupper($o->currency),
            'total_cents' => $total,
            'customer' => [
                'shop_customer_id' => $o->customerId,
                'email' => $o->email,
                // OCPizza_DB's limits (60 characters); PrestaShop allows longer names.
                'first_name' => mb_substr(trim($o->firstName), 0, 60),
                'last_name' => mb_substr(trim($o->lastName), 0, 60),
                'phone' => self::phone($o->phone),
            ],
            'lines' => LineReconciler::reconcile($lines, $total),
        ];
        if ($order['customer']['phone'] === null) {
            unset($order['customer']['phone']);
        }
        if ($route->fulfilment === 'delivery') {
            if ($o->address === null) {
                throw new \UnexpectedValueException('delivery_address: required for delivery');
            }
            $order['delivery_address'] = $o->address;
        }

        return $order;
    }

    /**
     * A phone OCPizza_DB accepts (digits, spaces, + . ( ) -, 6 to 20 characters) or none: a badly typed phone in the
     * shop must not keep the order from reaching the restaurant.
     */
    private static function phone(?string $phone): ?string
    {
        $phone = trim((string) preg_replace('/[^0-9+ .()-]/', '', (string) $phone));
        $phone = (string) preg_replace('/\s+/', ' ', $phone);

        return preg_match('/^[+]?[0-9 .()-]{6,20}$/', $phone) === 1 ? $phone : null;
    }

    /** VAT rate as a decimal string with two places ("10.00"). */
    private static function rate($rate): string
    {
        return number_format((float) $rate, 2, '.', '');
    }
}
