<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Contract\LockTimeout;
use OCPizzaModule\Shop\DbNamedLock;
use OCPizzaModule\Shop\DbTransactionIdStore;
use OCPizzaModule\Tests\GlueTestCase;

/** The module's database adapters on the real MariaDB (through the stand-in's Db). */
final class AdaptersTest extends GlueTestCase
{
    public function testTransactionIdReservationIsUniquePerDay(): void
    {
        $store = new DbTransactionIdStore(\Db::getInstance());
        $this->assertTrue($store->reserve('20261129', '000123', 1));
        $this->assertFalse($store->reserve('20261129', '000123', 2), 'taken the same UTC day');
        $this->assertTrue($store->reserve('20261130', '000123', 2), 'free the next day');
        $this->expectException(\InvalidArgumentException::class);
        $store->reserve("2026'--", '000123', 3);
    }

    public function testCartLockExcludesAnotherConnectionAndIsReleasedAfterAnException(): void
    {
        $lock = new DbNamedLock(\Db::getInstance());
        $s = \StandInDatabase::server();
        $other = new \PDO($s['dsn'], $s['user'], $s['password']);
        $this->assertSame('1', (string) $other->query("SELECT GET_LOCK('ps_ocpizza_cart_9', 0)")->fetchColumn());
        try {
            $lock->synchronized('ocpizza_cart_9', 1, static function () {
                return 'ran';
            });
            $this->fail('ran while another connection held the lock');
        } catch (LockTimeout $e) {
            $this->assertStringContainsString('ocpizza_cart_9', $e->getMessage());
        }
        $other->query("SELECT RELEASE_LOCK('ps_ocpizza_cart_9')");
        try {
            $lock->synchronized('ocpizza_cart_9', 1, static function () {
                throw new \RuntimeException('boom');
            });
        } catch (\RuntimeException $e) {
            $this->assertSame('boom', $e->getMessage());
        }
        $this->assertSame('1', (string) $other->query("SELECT GET_LOCK('ps_ocpizza_cart_9', 0)")->fetchColumn(), 'released after the exception');
        $this->assertSame('ran', $lock->synchronized('ocpizza_cart_8', 1, static function () {
            return 'ran';
        }));
    }
}
