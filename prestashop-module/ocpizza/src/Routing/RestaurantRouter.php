<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Routing;

if (!defined('_PS_VERSION_')) {
    exit;
}


/**
 * Every order belongs to one restaurant: the pickup restaurant of the chosen carrier for takeaway (one carrier per
 * restaurant, mapped in the configuration), otherwise the restaurant that delivers the address's postcode
 * (OCPizza_DB's restaurant_delivery_postcodes, through Store::restaurants()).
 */
final class RestaurantRouter
{
    /** @var array<string, array> restaurants by code */
    private $restaurants = [];
    /** @var array<string, string> postcode => code */
    private $byPostcode = [];
    /** @var array<int, string> carrier id => code */
    private $pickupCarriers;

    /**
     * @param array<int, array> $restaurants as returned by Store::restaurants()
     * @param array<int, string> $pickupCarriers carrier id => restaurant code
     */
    public function __construct(array $restaurants, array $pickupCarriers)
    {
        foreach ($restaurants as $r) {
            $code = (string) ($r['code'] ?? '');
            if ($code === '') {
                continue;
            }
            $this->restaurants[$code] = $r;
            foreach ((array) ($r['delivery_postcodes'] ?? []) as $pc) {
                $this->byPostcode[(string) $pc] = $code;
            }
        }
        $this->pickupCarriers = $pickupCarriers;
    }

    public function isTakeawayCarrier(int $carrierId): bool
    {
        return isset($this->pickupCarriers[$carrierId]);
    }

    /** @throws RoutingException */
    public function route(int $carrierId, ?string $deliveryPostcode): Route
    {
        if (isset($this->pickupCarriers[$carrierId])) {
            $code = $this->pickupCarriers[$carrierId];
            if (!isset($this->restaurants[$code])) {
                throw new RoutingException(RoutingException::UNKNOWN_RESTAURANT, $code);
            }

            return new Route($code, (string) ($this->restaurants[$code]['name'] ?? $code), 'takeaway');
        }
        $postcode = preg_replace('/\s+/', '', (string) $deliveryPostcode);
        if ($postcode === '') {
            throw new RoutingException(RoutingException::NO_ADDRESS);
        }
        if (!isset($this->byPostcode[$postcode])) {
            throw new RoutingException(RoutingException::UNKNOWN_POSTCODE, $postcode);
        }
        $code = $this->byPostcode[$postcode];

        return new Route($code, (string) ($this->restaurants[$code]['name'] ?? $code), 'delivery');
    }
}
