<?php

namespace OCPizzaModule\Tests\Logic;

use OCPizzaModule\Routing\AvailabilityCheck;
use OCPizzaModule\Routing\RestaurantRouter;
use OCPizzaModule\Routing\RoutingException;
use OCPizzaModule\Tests\Support\InMemoryGateway;
use PHPUnit\Framework\TestCase;

final class RoutingTest extends TestCase
{
    private function router(): RestaurantRouter
    {
        return new RestaurantRouter(InMemoryGateway::lyon()->restaurants, [7 => 'BELLECOUR', 8 => 'GERLAND']);
    }

    public function testDeliveryGoesToTheRestaurantServingThePostcode(): void
    {
        $r = $this->router()->route(1, '69004');
        $this->assertSame(['CROIX-ROUSSE', 'OC Pizza Croix-Rousse', 'delivery'], [$r->restaurant, $r->restaurantName, $r->fulfilment]);
        $this->assertSame('BELLECOUR', $this->router()->route(1, ' 69 002 ')->restaurant, 'spaces in the postcode ignored');
    }

    public function testTakeawayGoesToTheCarriersRestaurantWhateverTheAddress(): void
    {
        $r = $this->router()->route(7, '75001');
        $this->assertSame(['BELLECOUR', 'takeaway'], [$r->restaurant, $r->fulfilment]);
        $this->assertTrue($this->router()->isTakeawayCarrier(7));
        $this->assertFalse($this->router()->isTakeawayCarrier(1));
    }

    public function failuresProvider(): array
    {
        return [
            'unknown postcode' => [1, '75001', RoutingException::UNKNOWN_POSTCODE, '75001'],
            'no address' => [1, null, RoutingException::NO_ADDRESS, ''],
            'carrier of an inactive restaurant' => [8, '69002', RoutingException::UNKNOWN_RESTAURANT, 'GERLAND'],
        ];
    }

    /** @dataProvider failuresProvider */
    public function testNoRestaurant(int $carrier, ?string $postcode, string $reason, string $value): void
    {
        try {
            $this->router()->route($carrier, $postcode);
            $this->fail('routed');
        } catch (RoutingException $e) {
            $this->assertSame([$reason, $value], [$e->reason, $e->value]);
            $this->assertStringStartsWith('restaurant:', $e->getMessage());
        }
    }

    public function testAvailabilityNamesEachLineTheRestaurantCannotMake(): void
    {
        $lines = [
            ['name' => 'Pizza Margherita', 'sku' => 'PIZZA-MARGHERITA'],
            ['name' => 'Pizza Reine', 'sku' => 'PIZZA-REINE'],
            ['name' => 'Cola 33 cl', 'sku' => 'DRINK-COLA-33'],
            ['name' => 'Menu sans référence', 'sku' => ''],
        ];
        $out = (new AvailabilityCheck())->unavailable($lines, InMemoryGateway::lyon()->available['CROIX-ROUSSE']);
        $this->assertCount(2, $out);
        $this->assertSame(['Pizza Reine', 'PIZZA-REINE', 'not_available'], [$out[0]->name, $out[0]->sku, $out[0]->reason]);
        $this->assertSame(['Menu sans référence', 'missing_sku'], [$out[1]->name, $out[1]->reason]);
        $this->assertSame([], (new AvailabilityCheck())->unavailable(array_slice($lines, 0, 3), InMemoryGateway::lyon()->available['BELLECOUR']));
    }
}
