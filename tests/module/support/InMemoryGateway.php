<?php
/**
 * Test double of the module's ExtensionGateway for OCPizza_DB (the extension's Store needs a migrated OCPizza_DB;
 * the extension's own tests cover it). Signing and parsing go to the REAL extension when it is loaded, unless a
 * test gives a parser of its own (used only where the test is about locking or decisions, not signatures).
 */

namespace OCPizzaModule\Tests\Support;

use OCPizzaModule\Contract\ExtensionGateway;

class InMemoryGateway implements ExtensionGateway
{
    /** @var array<int, array> */
    public $restaurants = [];
    /** @var array<string, string[]> restaurant => SKUs */
    public $available = [];
    /** @var callable|null */
    public $parser;
    /** @var callable|null parses REST (kr-*) notifications instead of the extension (logic tests about decisions) */
    public $restParser;
    /** @var callable|null signs instead of the extension (glue tests about fields, not signatures) */
    public $signer;
    /** @var array<int, array{0:string,1:array}> every Store call, in order */
    public $calls = [];
    /** @var array<string, \Throwable> method => exception thrown by its next call */
    public $failNext = [];
    /** @var array<string, \Throwable> method => exception thrown by every call until removed */
    public $failAlways = [];
    /** @var callable|null answers cancelOrRefund instead of the extension (which then calls the configured URL) */
    public $refunder;
    /** @var bool */
    public $loaded = true;
    /** @var array<int, int> shop_order_id => OCPizza order id */
    protected $orders = [];
    /** @var array<string, int> */
    protected $payments = [];
    /** @var array<string, array> payment transaction_key => the payment as recorded */
    protected $paymentRows = [];
    /** @var array<string, array{id:int, shop_order_id:int, amount_cents:int}> refund transaction_key => refund */
    protected $refunds = [];
    /** @var array<int, array> shop_order_id => [reference, customer, fulfilment, total] */
    protected $identities = [];

    public function isLoaded(): bool
    {
        return $this->loaded;
    }

    public function version(): ?string
    {
        return $this->loaded ? (extension_loaded('ocpizza') ? (string) phpversion('ocpizza') : 'in-memory') : null;
    }

    public function sign(array $fields, string $key, string $algorithm): string
    {
        if ($this->signer !== null) {
            return ($this->signer)($fields, $key, $algorithm);
        }
        self::requireExtension();

        return \OCPizza\SogeCommerce::sign($fields, $key, $algorithm);
    }

    public function parseNotification(array $post, string $key, string $mode, string $algorithm): array
    {
        $this->fail('parseNotification');
        if ($this->parser !== null) {
            return ($this->parser)($post, $key, $mode, $algorithm);
        }
        self::requireExtension();

        return \OCPizza\SogeCommerce::parseNotification($post, $key, $mode, $algorithm);
    }

    public function parseRestNotification(array $post, string $restPassword, string $hmacKey, string $mode): array
    {
        $this->fail('parseRestNotification');
        if ($this->restParser !== null) {
            return ($this->restParser)($post, $restPassword, $hmacKey, $mode);
        }
        self::requireExtension();

        return \OCPizza\SogeCommerce::parseRestNotification($post, $restPassword, $hmacKey, $mode);
    }

    public function cancelOrRefund(string $apiUrl, string $shopId, string $restPassword, string $uuid, int $amountCents, string $currency): array
    {
        $this->fail('cancelOrRefund');
        $this->journal('cancelOrRefund', ['api_url' => $apiUrl, 'shop_id' => $shopId, 'uuid' => $uuid, 'amount_cents' => $amountCents, 'currency' => $currency], null);
        if ($this->refunder !== null) {
            return ($this->refunder)($apiUrl, $shopId, $restPassword, $uuid, $amountCents, $currency);
        }
        self::requireExtension();

        return \OCPizza\SogeCommerce::cancelOrRefund($apiUrl, $shopId, $restPassword, $uuid, $amountCents, $currency);
    }

    public function recordOrder(array $order): array
    {
        $this->fail('recordOrder');
        $this->journal('recordOrder', $order, (int) $order['shop_order_id']);
        $id = (int) $order['shop_order_id'];
        // As the Store (db/src/store/order.rs): the same order again → created = false; a different one → refused.
        $identity = [$order['reference'] ?? null, $order['customer']['shop_customer_id'] ?? null, $order['fulfilment'] ?? null, $order['total_cents'] ?? null];
        if (isset($this->orders[$id])) {
            if ($this->identities[$id] !== $identity) {
                $e = new \OCPizza\ValidationException('shop_order_id: ' . $id . ' is already recorded for a different order');
                $e->field = 'shop_order_id';
                throw $e;
            }

            return ['order_id' => $this->orders[$id], 'created' => false];
        }
        $this->identities[$id] = $identity;
        $this->orders[$id] = 1000 + count($this->orders);

        return ['order_id' => $this->orders[$id], 'created' => true];
    }

    public function recordPayment(array $payment): array
    {
        $this->fail('recordPayment');
        $this->journal('recordPayment', $payment, (int) $payment['shop_order_id']);
        $key = (string) $payment['transaction_key'];
        if (isset($this->payments[$key])) {
            return ['payment_id' => $this->payments[$key], 'created' => false];
        }
        $this->payments[$key] = 1 + count($this->payments);
        $this->paymentRows[$key] = $payment;

        return ['payment_id' => $this->payments[$key], 'created' => true];
    }

    /**
     * As the Store (db/src/store/refund.rs, insert_in and existing): idempotent on transaction_key, on the order's
     * first paid payment (or the one with payment_transaction_uuid), amount_cents or still_authorised_cents, never
     * beyond what was paid; answers the order's totals. Glue tests with the real Store cover the SQL.
     */
    public function recordRefund(array $refund): array
    {
        $this->fail('recordRefund');
        $this->journal('recordRefund', $refund, (int) $refund['shop_order_id']);
        $order = (int) $refund['shop_order_id'];
        $key = (string) $refund['transaction_key'];
        $payment = null;
        foreach ($this->paymentRows as $p) {
            if ((int) $p['shop_order_id'] === $order && $p['status'] === 'paid'
                && (!isset($refund['payment_transaction_uuid']) || ($p['transaction_uuid'] ?? null) === $refund['payment_transaction_uuid'])) {
                $payment = $p;
                break;
            }
        }
        $already = 0;
        foreach ($this->refunds as $r) {
            $already += $r['shop_order_id'] === $order ? $r['amount_cents'] : 0;
        }
        if (isset($this->refunds[$key])) {
            $r = $this->refunds[$key];

            return self::refundResult($r['id'], false, $r['amount_cents'], (int) ($payment['amount_cents'] ?? 0), $already);
        }
        if ($payment === null) {
            throw self::invalid(isset($refund['payment_transaction_uuid']) ? 'payment_transaction_uuid' : 'payment_transaction_key', 'no paid payment of order ' . $order);
        }
        $paid = (int) $payment['amount_cents'];
        if (isset($refund['still_authorised_cents'])) {
            $left = $paid - $already;
            if ((int) $refund['still_authorised_cents'] >= $left) {
                throw self::invalid('still_authorised_cents', 'is ' . $refund['still_authorised_cents'] . ' but only ' . $left . ' is left: nothing is cancelled');
            }
            $amount = $left - (int) $refund['still_authorised_cents'];
        } else {
            $amount = (int) $refund['amount_cents'];
        }
        if ($amount <= 0 || $already + $amount > $paid) {
            throw self::invalid('amount_cents', 'is ' . $amount . ' but only ' . ($paid - $already) . ' of the ' . $paid . ' paid is left to refund');
        }
        $this->refunds[$key] = ['id' => 1 + count($this->refunds), 'shop_order_id' => $order, 'amount_cents' => $amount];

        return self::refundResult($this->refunds[$key]['id'], true, $amount, $paid, $already + $amount);
    }

    private static function refundResult(int $id, bool $created, int $amount, int $paid, int $total): array
    {
        return ['refund_id' => $id, 'created' => $created, 'amount_cents' => $amount, 'paid_cents' => $paid, 'refunded_total_cents' => $total, 'full' => $total >= $paid];
    }

    private static function invalid(string $field, string $reason): \OCPizza\ValidationException
    {
        $e = new \OCPizza\ValidationException($field . ': ' . $reason);
        $e->field = $field;

        return $e;
    }

    public function setStatus(int $shopOrderId, string $status, ?string $note = null): bool
    {
        $this->fail('setStatus');
        $this->journal('setStatus', ['status' => $status, 'note' => $note], $shopOrderId);

        return true;
    }

    /** No OCPizza_DB here: unknown, and the module goes by its own link's status. */
    public function orderStatus(int $shopOrderId): ?string
    {
        $this->fail('orderStatus');

        return null;
    }

    public function availableProducts(string $restaurant): array
    {
        $this->fail('availableProducts');

        return $this->available[$restaurant] ?? [];
    }

    public function restaurants(): array
    {
        $this->fail('restaurants');

        return $this->restaurants;
    }

    public function publishOutbox(string $bridgeUrl, string $secret, int $max): array
    {
        $this->fail('publishOutbox');
        $this->journal('publishOutbox', ['bridge' => $bridgeUrl, 'max' => $max], null);

        return ['published' => 0, 'failed' => 0, 'pending' => 0];
    }

    /** @return array[] arguments of every call to $method */
    public function callsTo(string $method): array
    {
        $out = [];
        foreach ($this->calls as [$m, $args]) {
            if ($m === $method) {
                $out[] = $args;
            }
        }

        return $out;
    }

    protected function journal(string $method, array $args, ?int $shopOrderId): void
    {
        $this->calls[] = [$method, $args];
    }

    protected function fail(string $method): void
    {
        if (isset($this->failAlways[$method])) {
            throw $this->failAlways[$method];
        }
        if (isset($this->failNext[$method])) {
            $e = $this->failNext[$method];
            unset($this->failNext[$method]);
            throw $e;
        }
    }

    public static function requireExtension(): void
    {
        if (!\OCPizzaModule\Tests\Support\Extension::usable()) {
            throw new \RuntimeException('the ocpizza extension is not loaded');
        }
    }

    /** The two restaurants most tests use (codes of the seed). */
    public static function lyon(): self
    {
        $g = new static();
        $g->restaurants = [
            ['code' => 'BELLECOUR', 'name' => 'OC Pizza Bellecour', 'delivery_postcodes' => ['69002']],
            ['code' => 'CROIX-ROUSSE', 'name' => 'OC Pizza Croix-Rousse', 'delivery_postcodes' => ['69004', '69001']],
        ];
        $g->available = [
            'BELLECOUR' => ['PIZZA-MARGHERITA', 'PIZZA-REINE', 'DRINK-COLA-33', 'DESSERT-TIRAMISU'],
            'CROIX-ROUSSE' => ['PIZZA-MARGHERITA', 'DRINK-COLA-33'],
        ];

        return $g;
    }
}
