<?php

declare(strict_types=1);

use OCPizza\DbException;
use OCPizza\SogeCommerce;
use OCPizza\Store;
use OCPizza\Tests\Orders;
use OCPizza\Tests\StoreTestCase;
use OCPizza\ValidationException;
use OCPizza\Webhooks;

/**
 * Issue 14, item 1, through the real extension: a value that would reach an `ascii_bin` column (restaurant code,
 * SKU, reference, currency, country, transaction key) and is non-ASCII, over-long, empty or carries control
 * characters is a ValidationException naming the field, never a DbException (MariaDB's "Illegal mix of
 * collations"), and nothing is written. A string argument that is not UTF-8 is refused by name too (not a
 * TypeError: it is a string, the declared type).
 */
final class StoreBadInputTest extends StoreTestCase
{
    /** Non-ASCII (the issue's typo, emoji, Latin-1 bytes), over-long, empty, blank, control characters. */
    private static function badCodes(int $max): array
    {
        return [
            'é typo' => 'BELLÉCOUR',
            'emoji' => "BELLECOUR\u{1F355}",
            'Latin-1 bytes' => "BELL\xC9COUR",
            'over-long' => str_repeat('X', $max + 1),
            'over-long non-ASCII' => str_repeat('É', $max + 1),
            'huge' => str_repeat('A', 1 << 20),
            'empty' => '',
            'blank' => ' ',
            'NUL' => "BELLECOUR\0",
            'tab' => "BELLE\tCOUR",
            'newline' => "BELLECOUR\n",
            'DEL' => "BELLECOUR\x7f",
        ];
    }

    /** Runs $call: a ValidationException naming $field (never a DbException), nothing written. */
    private function refusedNotDb(string $field, callable $call, string $what): void
    {
        try {
            $this->assertRefused($field, $call);
        } catch (DbException $e) {
            $this->fail("$what: bad input answered as a database failure: " . $e->getMessage());
        }
    }

    public function testAvailableProductsRefusesABadRestaurantCodeByName(): void
    {
        $e = $this->assertRefused('restaurant', fn () => self::$store->availableProducts('BELLÉCOUR'));
        $this->assertStringStartsWith("restaurant: contains a non-ASCII character 'É' (expected 2 to 16 ", $e->getMessage());
        foreach (self::badCodes(16) as $what => $bad) {
            $this->refusedNotDb('restaurant', fn () => self::$store->availableProducts($bad), $what);
        }
        $this->assertContains('PIZZA-MARGHERITA', self::$store->availableProducts('BELLECOUR'));
    }

    public function testRecordOrderRefusesBadCodesByName(): void
    {
        $o = Orders::delivery(Orders::newId(), 'BELLÉCOUR');
        $e = $this->assertRefused('restaurant', fn () => self::$store->recordOrder($o));
        $this->assertStringStartsWith("restaurant: contains a non-ASCII character 'É' (expected 2 to 16 ", $e->getMessage());

        $fields = [
            'restaurant' => [16, function (array &$o, string $v) { $o['restaurant'] = $v; }],
            'reference' => [32, function (array &$o, string $v) { $o['reference'] = $v; }],
            'currency' => [3, function (array &$o, string $v) { $o['currency'] = $v; }],
            'delivery_address.country' => [2, function (array &$o, string $v) { $o['delivery_address']['country'] = $v; }],
            'lines[0].sku' => [64, function (array &$o, string $v) { $o['lines'][0]['sku'] = $v; }],
        ];
        foreach ($fields as $field => [$max, $set]) {
            foreach (self::badCodes($max) as $what => $bad) {
                $o = Orders::delivery(Orders::newId());
                $set($o, $bad);
                // Latin-1 bytes are refused as non-UTF-8 on conversion, with the same field.
                $this->refusedNotDb($field, fn () => self::$store->recordOrder($o), "$field $what");
            }
        }
    }

    public function testRecordPaymentRefusesBadKeysAndCurrenciesByName(): void
    {
        $id = Orders::newId();
        self::$store->recordOrder(Orders::delivery($id));
        foreach (['transaction_key' => 190, 'currency' => 3] as $field => $max) {
            foreach (self::badCodes($max) as $what => $bad) {
                $p = Orders::payment($id);
                $p[$field] = $bad;
                $this->refusedNotDb($field, fn () => self::$store->recordPayment($p), "$field $what");
            }
        }
        // parseNotification()'s key, named as the caller spelled it.
        $p = Orders::payment($id);
        unset($p['transaction_key']);
        $p['idempotency_key'] = 'sc:12345678:é';
        $this->refusedNotDb('idempotency_key', fn () => self::$store->recordPayment($p), 'alias');
        $this->assertTrue(self::$store->recordPayment(Orders::payment($id))['created']);
    }

    public function testSetStatusRefusesBadStatusesAndNotesByName(): void
    {
        $id = Orders::newId();
        self::$store->recordOrder(Orders::delivery($id));
        foreach (['accépted', "acc\xE9pted", '', "accepted\0", str_repeat('x', 100_000)] as $bad) {
            $this->refusedNotDb('status', fn () => self::$store->setStatus($id, $bad), bin2hex(substr($bad, 0, 12)));
        }
        foreach ([str_repeat('é', 501), "Livr\xE9 au 2e"] as $bad) {
            $this->refusedNotDb('note', fn () => self::$store->setStatus($id, 'accepted', $bad), 'note');
        }
        $this->assertTrue(self::$store->setStatus($id, 'accepted', "Sonnez 2\u{d7} \u{1F355}"));
    }

    /** An empty array key is named `[""]`: a refusal always names a field (found by ApiPropertyTest). */
    public function testARefusedValueUnderAnEmptyKeyIsStillNamed(): void
    {
        $cases = [
            '[""]' => fn () => SogeCommerce::parseNotification(['' => ['x']], 'key', 'TEST'),
            'customer[""]' => fn () => self::$store->recordOrder(['customer' => ['' => "\xff"]]),
        ];
        foreach ($cases as $field => $call) {
            $this->refusedNotDb($field, $call, $field);
        }
    }

    /** Every other string parameter of the API: a non-UTF-8 value is refused by the parameter's name. */
    public function testNonUtf8StringArgumentsAreRefusedByName(): void
    {
        $latin1 = "caf\xE9";
        $cases = [
            'databaseUrl' => fn () => new Store("mysql://root@127.0.0.1:3306/$latin1"),
            'bridge_url' => fn () => self::$store->publishOutbox("http://127.0.0.1:1/$latin1", 'whsec_' . base64_encode(str_repeat('k', 32))),
            'secret' => fn () => self::$store->publishOutbox('http://127.0.0.1:1', "whsec_$latin1"),
            'algorithm' => fn () => SogeCommerce::sign(['vads_a' => '1'], 'key', "HMAC-$latin1"),
            'mode' => fn () => SogeCommerce::parseNotification(['vads_a' => '1'], 'key', "TEST$latin1"),
        ];
        foreach ($cases as $field => $call) {
            $this->refusedNotDb($field, $call, $field);
        }
        foreach (['secret' => ["whsec_$latin1", 'msg_1'], 'msgId' => ['whsec_' . base64_encode(str_repeat('k', 32)), "msg_$latin1"]] as $field => [$secret, $msgId]) {
            try {
                Webhooks::sign($secret, $msgId, 1, '{}');
                $this->fail("$field accepted");
            } catch (ValidationException $e) {
                $this->assertSame($field, $e->field);
            }
        }
    }
}
