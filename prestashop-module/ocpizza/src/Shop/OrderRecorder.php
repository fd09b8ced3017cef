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

use OCPizzaModule\Config\Settings;
use OCPizzaModule\Contract\ExtensionGateway;
use OCPizzaModule\Order\AsciiFields;
use OCPizzaModule\Order\InvalidOrderField;
use OCPizzaModule\Order\OrderArrayBuilder;
use OCPizzaModule\Order\OrderRefused;
use OCPizzaModule\Order\OrderSnapshot;
use OCPizzaModule\Routing\RestaurantRouter;
use OCPizzaModule\Routing\Route;

/** Records a PrestaShop order in OCPizza_DB (Store::recordOrder) and remembers the link. */
final class OrderRecorder
{
    /** @var Settings */ private $settings;
    /** @var ExtensionGateway */ private $gateway;
    /** @var OrderLinks */ private $links;

    public function __construct(Settings $settings, ExtensionGateway $gateway, OrderLinks $links)
    {
        $this->settings = $settings;
        $this->gateway = $gateway;
        $this->links = $links;
    }

    /**
     * @return array{ocp_order_id:int, fulfilment:string, oc_status:string} the link, existing or new
     *
     * @throws OrderRefused when the order's data is refused (kept unlinked, the reason remembered); other
     *                      exceptions when OCPizza_DB could not be reached (retried later)
     */
    public function record(\Order $order): array
    {
        $link = $this->links->find((int) $order->id);
        if ($link !== null) {
            return $link;
        }
        $cart = new \Cart((int) $order->id_cart);
        $route = $this->route((int) $order->id_carrier, (int) $order->id_address_delivery);
        $array = (new OrderArrayBuilder())->build($this->snapshot($order, $cart), $route);
        try {
            AsciiFields::order($array);
            $result = $this->gateway->recordOrder($array);
        } catch (InvalidOrderField $e) {
            throw $this->refused((int) $order->id, $e->field, $e->getMessage(), $e);
        } catch (\OCPizza\ValidationException $e) {
            // The extension's message is "field: reason"; $field is the same field.
            $field = isset($e->field) && (string) $e->field !== '' ? (string) $e->field : (string) strstr($e->getMessage(), ':', true);
            throw $this->refused((int) $order->id, $field, $e->getMessage(), $e);
        }
        $this->links->add((int) $order->id, (int) $result['order_id'], $route->fulfilment);

        return $this->links->find((int) $order->id);
    }

    private function refused(int $orderId, string $field, string $reason, \Throwable $previous): OrderRefused
    {
        $this->links->refuse($orderId, $reason);

        return new OrderRefused($orderId, $field, $reason, $previous);
    }

    public function route(int $carrierId, int $addressId): Route
    {
        $router = new RestaurantRouter($this->gateway->restaurants(), $this->settings->pickupCarriers());
        $postcode = null;
        if (!$router->isTakeawayCarrier($carrierId)) {
            $address = new \Address($addressId);
            $postcode = \Validate::isLoadedObject($address) ? (string) $address->postcode : null;
        }

        return $router->route($carrierId, $postcode);
    }

    public function snapshot(\Order $order, \Cart $cart): OrderSnapshot
    {
        $currency = new \Currency((int) $order->id_currency);
        $customer = new \Customer((int) $order->id_customer);
        $address = new \Address((int) $order->id_address_delivery);
        $carrier = new \Carrier((int) $order->id_carrier);

        $s = new OrderSnapshot();
        $s->orderId = (int) $order->id;
        $s->reference = (string) $order->reference;
        $tz = (string) \Configuration::get('PS_TIMEZONE');
        $placed = new \DateTimeImmutable((string) $order->date_add, new \DateTimeZone($tz !== '' ? $tz : date_default_timezone_get()));
        $s->placedAt = $placed->format(DATE_ATOM);
        $s->paymentMethod = $this->links->paymentMethod((int) $order->id_cart) ?? 'card_online';
        $s->currency = (string) $currency->iso_code;
        $s->decimals = (int) $currency->precision;
        $s->total = $order->total_paid_tax_incl;
        $s->customerId = (int) $customer->id;
        $s->email = (string) $customer->email;
        $s->firstName = (string) $customer->firstname;
        $s->lastName = (string) $customer->lastname;
        $phone = \Validate::isLoadedObject($address) ? trim((string) ($address->phone_mobile ?: $address->phone)) : '';
        $s->phone = $phone !== '' ? $phone : null;
        if (\Validate::isLoadedObject($address)) {
            $s->address = [
                'line1' => (string) $address->address1,
                'line2' => (string) $address->address2,
                'postcode' => (string) $address->postcode,
                'city' => (string) $address->city,
                'country' => (string) \Country::getIsoById((int) $address->id_country),
            ];
        }
        $s->carrierId = (int) $order->id_carrier;
        $s->carrierName = \Validate::isLoadedObject($carrier) ? (string) $carrier->name : '';
        $s->shipping = $order->total_shipping_tax_incl;
        $s->shippingVatRate = $order->carrier_tax_rate;
        foreach ($cart->getProducts() as $p) {
            $s->products[] = [
                'sku' => (string) $p['reference'],
                'name' => (string) $p['name'],
                'quantity' => (int) $p['cart_quantity'],
                'unit_price' => $p['price_wt'],
                'vat_rate' => $p['rate'],
            ];
        }
        foreach ($cart->getCartRules() as $r) {
            $s->discounts[] = ['name' => (string) $r['name'], 'amount' => $r['value_real']];
        }

        return $s;
    }
}
