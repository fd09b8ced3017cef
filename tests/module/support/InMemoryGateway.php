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
    /** @var callable|null signs instead of the extension (glue tests about fields, not signatures) */
    public $signer;
    /** @var array<int, array{0:string,1:array}> every Store call, in order */
    public $calls = [];
    /** @var array<string, \Throwable> method => exception thrown by its next call */
    public $failNext = [];
    /** @var array<string, \Throwable> method => exception thrown by every call until removed */
    public $failAlways = [];
    /** @var bool */
    public $loaded = true;
    /** @var array<int, int> shop_order_id => OCPizza order id */
    protected $orders = [];
    /** @var array<string, int> */
    protected $payments = [];
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

        return ['payment_id' => $this->payments[$key], 'created' => true];
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
