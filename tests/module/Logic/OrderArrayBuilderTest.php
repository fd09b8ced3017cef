<?php

namespace OCPizzaModule\Tests\Logic;

use OCPizzaModule\Order\LineReconciler;
use OCPizzaModule\Order\OrderArrayBuilder;
use OCPizzaModule\Order\OrderSnapshot;
use OCPizzaModule\Routing\Route;
use PHPUnit\Framework\TestCase;

final class OrderArrayBuilderTest extends TestCase
{
    private static function snapshot(): OrderSnapshot
    {
        $s = new OrderSnapshot();
        $s->orderId = 12;
        $s->reference = 'XKBKNABJK';
        $s->placedAt = '2026-11-29T19:05:00+01:00';
        $s->paymentMethod = 'card_online';
        $s->currency = 'eur';
        $s->decimals = 2;
        $s->total = 37.30; // 2 × 11.50 + 13.90 + 2.50 delivery − 2.10 voucher
        $s->customerId = 3;
        $s->email = 'camille@example.org';
        $s->firstName = 'Camille';
        $s->lastName = 'Martin';
        $s->phone = '06 12 34 56 78';
        $s->address = ['line1' => '12 rue de la République', 'line2' => '', 'postcode' => '69002', 'city' => 'Lyon', 'country' => 'FR'];
        $s->carrierId = 1;
        $s->carrierName = 'Livraison OC Pizza';
        $s->shipping = 2.5;
        $s->shippingVatRate = 10;
        $s->products = [
            ['sku' => 'PIZZA-MARGHERITA', 'name' => 'Pizza Margherita', 'quantity' => 2, 'unit_price' => 11.5, 'vat_rate' => 10.0],
            ['sku' => 'PIZZA-REINE', 'name' => 'Pizza Reine', 'quantity' => 1, 'unit_price' => '13.900000', 'vat_rate' => '10.000'],
        ];
        $s->discounts = [['name' => 'Bienvenue', 'amount' => 2.1]];

        return $s;
    }

    public function testTheIssue3OrderArray(): void
    {
        $order = (new OrderArrayBuilder())->build(self::snapshot(), new Route('BELLECOUR', 'OC Pizza Bellecour', 'delivery'));
        $this->assertSame([
            'shop_order_id' => 12,
            'reference' => 'XKBKNABJK',
            'restaurant' => 'BELLECOUR',
            'placed_at' => '2026-11-29T19:05:00+01:00',
            'fulfilment' => 'delivery',
            'payment_method' => 'card_online',
            'currency' => 'EUR',
            'total_cents' => 3730,
            'customer' => ['shop_customer_id' => 3, 'email' => 'camille@example.org', 'first_name' => 'Camille', 'last_name' => 'Martin', 'phone' => '06 12 34 56 78'],
            'lines' => [
                ['kind' => 'product', 'sku' => 'PIZZA-MARGHERITA', 'name' => 'Pizza Margherita', 'quantity' => 2, 'unit_price_cents' => 1150, 'vat_rate' => '10.00'],
                ['kind' => 'product', 'sku' => 'PIZZA-REINE', 'name' => 'Pizza Reine', 'quantity' => 1, 'unit_price_cents' => 1390, 'vat_rate' => '10.00'],
                ['kind' => 'delivery', 'name' => 'Livraison OC Pizza', 'quantity' => 1, 'unit_price_cents' => 250, 'vat_rate' => '10.00'],
                ['kind' => 'discount', 'name' => 'Bienvenue', 'quantity' => 1, 'unit_price_cents' => -210, 'vat_rate' => '10.00'],
            ],
            'delivery_address' => ['line1' => '12 rue de la République', 'line2' => '', 'postcode' => '69002', 'city' => 'Lyon', 'country' => 'FR'],
        ], $order);
    }

    public function testTakeawayHasNoAddressNoDeliveryLineAndPhoneOmittedWhenUnknown(): void
    {
        $s = self::snapshot();
        $s->shipping = 0;
        $s->discounts = [];
        $s->total = 36.90;
        $s->phone = null;
        $s->paymentMethod = 'at_restaurant';
        $order = (new OrderArrayBuilder())->build($s, new Route('BELLECOUR', 'OC Pizza Bellecour', 'takeaway'));
        $this->assertArrayNotHasKey('delivery_address', $order);
        $this->assertArrayNotHasKey('phone', $order['customer']);
        $this->assertSame(['product', 'product'], array_column($order['lines'], 'kind'));
        $this->assertSame('at_restaurant', $order['payment_method']);
    }

    public function testPhoneAndNamesFitOCPizzaDb(): void
    {
        $s = self::snapshot();
        $s->phone = 'tel: +33 (0)6 12-34-56-78';
        $s->firstName = str_repeat('é', 70);
        $order = (new OrderArrayBuilder())->build($s, new Route('BELLECOUR', 'B', 'delivery'));
        $this->assertSame('+33 (0)6 12-34-56-78', $order['customer']['phone']);
        $this->assertSame(60, mb_strlen($order['customer']['first_name']));
        $s->phone = 'ask the concierge';
        $this->assertArrayNotHasKey('phone', (new OrderArrayBuilder())->build($s, new Route('BELLECOUR', 'B', 'delivery'))['customer']);
    }

    public function testDeliveryWithoutAddressAndUnknownMethodAreRefused(): void
    {
        $s = self::snapshot();
        $s->address = null;
        try {
            (new OrderArrayBuilder())->build($s, new Route('BELLECOUR', 'B', 'delivery'));
            $this->fail('accepted');
        } catch (\UnexpectedValueException $e) {
            $this->assertStringStartsWith('delivery_address:', $e->getMessage());
        }
        $s = self::snapshot();
        $s->paymentMethod = 'bitcoin';
        $this->expectExceptionMessage('payment_method:');
        (new OrderArrayBuilder())->build($s, new Route('BELLECOUR', 'B', 'delivery'));
    }

    public function testRoundingDifferenceIsCarriedByOneSplitUnit(): void
    {
        // 3 × 3.333… shown as 3.33 each, but the shop rounded the line to 10.00.
        $lines = [['kind' => 'product', 'sku' => 'X', 'name' => 'X', 'quantity' => 3, 'unit_price_cents' => 333, 'vat_rate' => '10.00']];
        $out = LineReconciler::reconcile($lines, 1000);
        $this->assertSame([[2, 333], [1, 334]], array_map(static function ($l) { return [$l['quantity'], $l['unit_price_cents']]; }, $out));
        $sum = 0;
        foreach ($out as $l) {
            $sum += $l['quantity'] * $l['unit_price_cents'];
        }
        $this->assertSame(1000, $sum);
        $one = [['kind' => 'product', 'sku' => 'X', 'name' => 'X', 'quantity' => 1, 'unit_price_cents' => 333, 'vat_rate' => '10.00']];
        $this->assertSame(332, LineReconciler::reconcile($one, 332)[0]['unit_price_cents']);
        $this->assertSame($lines, LineReconciler::reconcile($lines, 999));
    }

    public function testMoreThanRoundingIsNotHidden(): void
    {
        $lines = [['kind' => 'product', 'sku' => 'X', 'name' => 'X', 'quantity' => 1, 'unit_price_cents' => 1000, 'vat_rate' => '10.00']];
        $this->expectException(\UnexpectedValueException::class);
        $this->expectExceptionMessage('total_cents: lines sum to 1000, order total is 1100');
        LineReconciler::reconcile($lines, 1100);
    }
}
