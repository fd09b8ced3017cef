<?php
/**
 * Small in-memory implementations of the module's interfaces for the logic tests (no PrestaShop involved).
 */

namespace OCPizzaModule\Tests\Support;

use OCPizzaModule\Contract\Clock;
use OCPizzaModule\Contract\Lock;
use OCPizzaModule\Contract\LockTimeout;
use OCPizzaModule\Contract\Logger;
use OCPizzaModule\Contract\ShopOrders;
use OCPizzaModule\Contract\TransactionIdStore;
use OCPizzaModule\Ipn\CartSnapshot;
use OCPizzaModule\Ipn\ExistingOrder;

final class FixedClock implements Clock
{
    /** @var \DateTimeImmutable */
    public $now;

    public function __construct(string $when)
    {
        $this->now = new \DateTimeImmutable($when);
    }

    public function now(): \DateTimeImmutable
    {
        return $this->now;
    }
}

final class MemoryLogger implements Logger
{
    /** @var string[] */
    public $lines = [];

    public function info(string $message): void
    {
        $this->lines[] = 'INFO ' . $message;
    }

    public function warning(string $message): void
    {
        $this->lines[] = 'WARNING ' . $message;
    }

    public function error(string $message): void
    {
        $this->lines[] = 'ERROR ' . $message;
    }

    public function text(): string
    {
        return implode("\n", $this->lines);
    }
}

final class MemoryTransactionIdStore implements TransactionIdStore
{
    /** @var array<string, int> "day/id" => cart */
    public $taken = [];

    public function reserve(string $day, string $transId, int $cartId): bool
    {
        if (isset($this->taken[$day . '/' . $transId])) {
            return false;
        }
        $this->taken[$day . '/' . $transId] = $cartId;

        return true;
    }
}

/** A lock that really excludes within the process and can be told to time out. */
final class MemoryLock implements Lock
{
    /** @var array<string, bool> */
    public $held = [];
    /** @var string[] */
    public $taken = [];
    /** @var bool */
    public $timeOut = false;

    public function synchronized(string $name, int $timeoutSeconds, callable $work)
    {
        if ($this->timeOut || isset($this->held[$name])) {
            throw new LockTimeout($name);
        }
        $this->held[$name] = true;
        $this->taken[] = $name;
        try {
            return $work();
        } finally {
            unset($this->held[$name]);
        }
    }
}

/** Carts and orders of a pretend shop; records what the IPN did to them. */
final class FakeShopOrders implements ShopOrders
{
    /** @var array<int, CartSnapshot> */
    public $carts = [];
    /** @var array<int, array{orderId:int, stateId:int, paid:bool}> by cart */
    public $orders = [];
    /** @var int[] state ids counted as paid (Order::hasBeenPaid looks at the history) */
    public $paidStates = [];
    /** @var array[] */
    public $created = [];
    /** @var array[] */
    public $changes = [];
    /** @var int[] */
    public $recorded = [];
    /** @var \Throwable|null thrown by the next ensureRecorded */
    public $recordFailure;

    public function cart(int $cartId): ?CartSnapshot
    {
        return $this->carts[$cartId] ?? null;
    }

    public function findOrder(int $cartId): ?ExistingOrder
    {
        $o = $this->orders[$cartId] ?? null;

        return $o === null ? null : new ExistingOrder($o['orderId'], $o['stateId'], $o['paid']);
    }

    public function createOrder(int $cartId, int $stateId, string $amountPaid, string $transactionId, ?string $message): int
    {
        $orderId = 100 + count($this->created);
        $this->created[] = compact('cartId', 'stateId', 'amountPaid', 'transactionId', 'message') + ['orderId' => $orderId];
        $this->orders[$cartId] = ['orderId' => $orderId, 'stateId' => $stateId, 'paid' => in_array($stateId, $this->paidStates, true)];

        return $orderId;
    }

    public function changeState(int $orderId, int $stateId, ?string $note): void
    {
        $this->changes[] = compact('orderId', 'stateId', 'note');
        foreach ($this->orders as $cart => $o) {
            if ($o['orderId'] === $orderId) {
                $this->orders[$cart]['stateId'] = $stateId;
                $this->orders[$cart]['paid'] = $o['paid'] || in_array($stateId, $this->paidStates, true);
            }
        }
    }

    public function ensureRecorded(int $orderId): void
    {
        if ($this->recordFailure !== null) {
            $e = $this->recordFailure;
            $this->recordFailure = null;
            throw $e;
        }
        $this->recorded[] = $orderId;
    }
}
