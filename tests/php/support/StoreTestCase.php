<?php

declare(strict_types=1);

namespace OCPizza\Tests;

use OCPizza\Store;
use PHPUnit\Framework\TestCase;

/** Base of the Store tests: the run's database (bootstrap.php), a Store on it and PDO to look at the rows. */
abstract class StoreTestCase extends TestCase
{
    protected static Store $store;
    protected static \PDO $pdo;

    public static function setUpBeforeClass(): void
    {
        self::$store = new Store(OCPIZZA_TEST_DB_URL);
        self::$pdo = TestDatabase::pdo(OCPIZZA_TEST_DB_NAME);
    }

    protected static function scalar(string $sql, array $params = [])
    {
        $st = self::$pdo->prepare($sql);
        $st->execute($params);

        return $st->fetchColumn();
    }

    protected static function rows(string $sql, array $params = []): array
    {
        $st = self::$pdo->prepare($sql);
        $st->execute($params);

        return $st->fetchAll(\PDO::FETCH_ASSOC);
    }

    /** Event types of the outbox rows of a shop order, in order. */
    protected static function eventTypes(int $shopOrderId): array
    {
        return array_column(self::rows('SELECT event_type FROM outbox WHERE shop_order_id = ? ORDER BY id', [$shopOrderId]), 'event_type');
    }

    /** Runs $call, expecting a ValidationException naming $field, and checks that nothing was written. */
    protected function assertRefused(string $field, callable $call): \OCPizza\ValidationException
    {
        $before = Orders::snapshot(self::$pdo);
        try {
            $call();
            $this->fail("expected a ValidationException on $field");
        } catch (\OCPizza\ValidationException $e) {
            $this->assertSame($field, $e->field, $e->getMessage());
            $this->assertStringStartsWith("$field: ", $e->getMessage());
        }
        $this->assertSame($before, Orders::snapshot(self::$pdo), 'nothing written');

        return $e;
    }
}
