<?php

declare(strict_types=1);

namespace OCPizza\Tests;

/** Order and payment inputs on the seeded chain (BELLECOUR … GERLAND, PIZZA-MARGHERITA …). */
final class Orders
{
    /** Shop order ids past anything the seed holds, unique per process and call. */
    public static function newId(): int
    {
        static $n = 0;

        return 800_000_000 + (getmypid() % 100_000) * 1_000 + (++$n);
    }

    /** A delivery order from BELLECOUR: margherita 9.90 + cola 3.00 + delivery fee 3.50 = 16.40 EUR. */
    public static function delivery(int $shopOrderId, string $restaurant = 'BELLECOUR'): array
    {
        return [
            'shop_order_id' => $shopOrderId,
            'reference' => 'PHPT' . $shopOrderId,
            'restaurant' => $restaurant,
            'placed_at' => '2026-11-29T19:30:00+01:00',
            'fulfilment' => 'delivery',
            'payment_method' => 'card_online',
            'currency' => 'EUR',
            'total_cents' => 990 + 300 + 350,
            'customer' => [
                'shop_customer_id' => 70_000 + ($shopOrderId % 1000),
                'email' => "client{$shopOrderId}@example.fr",
                'first_name' => 'Léa',
                'last_name' => 'Martin',
                'phone' => '+33 6 12 34 56 78',
            ],
            'delivery_address' => [
                'line1' => '10 rue de la République',
                'line2' => '',
                'postcode' => '69002',
                'city' => 'Lyon',
                'country' => 'FR',
            ],
            'lines' => [
                ['kind' => 'product', 'sku' => 'PIZZA-MARGHERITA', 'name' => 'Margherita', 'quantity' => 1,
                    'unit_price_cents' => 990, 'vat_rate' => '10.00'],
                ['sku' => 'DRINK-COLA-33', 'name' => 'Coca-Cola 33 cl', 'quantity' => 1, 'unit_price_cents' => 300,
                    'vat_rate' => '5.50'],
                ['kind' => 'delivery', 'name' => 'Livraison', 'quantity' => 1, 'unit_price_cents' => 350,
                    'vat_rate' => '20.00'],
            ],
        ];
    }

    /** A paid SogeCommerce payment of the whole order (16.40 EUR). */
    public static function payment(int $shopOrderId, ?string $key = null, string $status = 'paid'): array
    {
        return [
            'shop_order_id' => $shopOrderId,
            'provider' => 'sogecommerce',
            'transaction_key' => $key ?? "sogecommerce:12345678:{$shopOrderId}:1",
            'amount_cents' => 1640,
            'currency' => 'EUR',
            'status' => $status,
            'raw_status' => $status === 'paid' ? 'AUTHORISED' : 'REFUSED',
            'transaction_id' => sprintf('%06d', $shopOrderId % 1_000_000),
        ];
    }

    /** Row counts of every table an order write touches plus the stock levels: equal = nothing written. */
    public static function snapshot(\PDO $pdo): array
    {
        $out = [];
        foreach (['customers', 'customer_addresses', 'orders', 'order_lines', 'order_status_history',
            'stock_movements', 'payments', 'outbox'] as $t) {
            $out[$t] = (int) $pdo->query("SELECT COUNT(*) FROM `$t`")->fetchColumn();
        }
        $out['stock'] = $pdo->query('SELECT restaurant_id, ingredient_id, quantity FROM stock ORDER BY 1, 2')
            ->fetchAll(\PDO::FETCH_NUM);

        return $out;
    }
}
