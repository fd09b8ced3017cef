<?php

namespace OCPizzaModule\Tests\Logic;

use OCPizzaModule\Adapter\ArrayConfig;
use OCPizzaModule\Config\Keys;
use OCPizzaModule\Config\Settings;
use OCPizzaModule\Payment\FormBuilder;
use OCPizzaModule\Payment\Money;
use OCPizzaModule\Payment\Normaliser;
use OCPizzaModule\Payment\PaymentRequest;
use OCPizzaModule\Payment\TransactionIdAllocator;
use OCPizzaModule\Tests\Support\FixedClock;
use OCPizzaModule\Tests\Support\InMemoryGateway;
use OCPizzaModule\Tests\Support\MemoryTransactionIdStore;
use PHPUnit\Framework\TestCase;

/** A gateway double that records what it was asked to sign (for the tests that do not need the extension). */
final class CapturingGateway extends InMemoryGateway
{
    /** @var array|null */
    public $signed;

    public function sign(array $fields, string $key, string $algorithm): string
    {
        $this->signed = [$fields, $key, $algorithm];

        return \OCPizzaModule\Tests\Support\Extension::usable() ? parent::sign($fields, $key, $algorithm) : 'SIGNATURE';
    }
}

final class FormBuilderTest extends TestCase
{
    private function builder(CapturingGateway $g, FixedClock $clock, ?MemoryTransactionIdStore $store = null, array $config = []): FormBuilder
    {
        $settings = new Settings(new ArrayConfig($config + [Keys::SITE_ID => '12345678', Keys::KEY_TEST => '1122334455667788', Keys::MODE => 'TEST']));

        return new FormBuilder($settings, $g, new TransactionIdAllocator($clock, $store ?? new MemoryTransactionIdStore()));
    }

    private static function request(int $amount = 2590, string $currency = '978'): PaymentRequest
    {
        $r = new PaymentRequest(42, $amount, $currency, 'https://shop.test/return?id_cart=42&key=k', 'https://shop.test/module/ocpizza/ipn');
        $r->customer = ['email' => 'camille@example.org', 'first_name' => "  Camille\t <b>Anne</b>  ", 'last_name' => "Martin\n\n  Dupont", 'phone' => ''];

        return $r;
    }

    public function minorUnitsProvider(): array
    {
        return [
            'EUR 25.90' => ['25.90', 2, 2590],
            'EUR float 19.99' => [19.99, 2, 1999],
            'EUR 0.1+0.2' => [0.1 + 0.2, 2, 30],
            'EUR half up' => ['10.005', 2, 1001],
            'JPY no decimals' => [1250.0, 0, 1250],
            'JPY rounding' => ['1250.5', 0, 1251],
            'KWD three decimals' => ['12.345', 3, 12345],
        ];
    }

    /** @dataProvider minorUnitsProvider */
    public function testMinorUnitsFollowTheCurrencyDecimals($amount, int $decimals, int $minor): void
    {
        $this->assertSame($minor, Money::toMinor($amount, $decimals));
        $back = Money::fromMinor($minor, $decimals);
        $this->assertSame($minor, Money::toMinor($back, $decimals));
    }

    public function testFromMinor(): void
    {
        $this->assertSame('25.90', Money::fromMinor(2590, 2));
        $this->assertSame('0.05', Money::fromMinor(5, 2));
        $this->assertSame('1250', Money::fromMinor(1250, 0));
        $this->assertSame('-1.50', Money::fromMinor(-150, 2));
    }

    public function testFieldsAreCompleteAndSignedOnTheirFinalValues(): void
    {
        $g = new CapturingGateway();
        $fields = $this->builder($g, new FixedClock('2026-11-29T18:30:15.456789Z'))->build(self::request());

        [$signedFields, $key, $alg] = $g->signed;
        $this->assertSame('1122334455667788', $key);
        $this->assertSame('HMAC-SHA-256', $alg);
        $posted = $fields;
        unset($posted['signature']);
        $this->assertSame($signedFields, $posted, 'the signed values are exactly the posted ones');
        $this->assertSame([
            'vads_action_mode' => 'INTERACTIVE',
            'vads_amount' => '2590',
            'vads_ctx_mode' => 'TEST',
            'vads_currency' => '978',
            'vads_cust_email' => 'camille@example.org',
            'vads_cust_first_name' => 'Camille bAnne/b', // < and > stripped, as the gateway's own module does
            'vads_cust_last_name' => 'Martin Dupont',
            'vads_language' => 'fr',
            'vads_order_id' => '42',
            'vads_page_action' => 'PAYMENT',
            'vads_payment_config' => 'SINGLE',
            'vads_return_mode' => 'GET',
            'vads_site_id' => '12345678',
            'vads_trans_date' => '20261129183015',
            'vads_trans_id' => sprintf('%06d', (18 * 3600 + 30 * 60 + 15) * 10 + 4),
            'vads_url_check' => 'https://shop.test/module/ocpizza/ipn',
            'vads_url_return' => 'https://shop.test/return?id_cart=42&key=k',
            'vads_version' => 'V2',
        ], $posted);
        $this->assertArrayNotHasKey('vads_cust_phone', $fields, 'empty optional field dropped');
    }

    public function testDateAndTransactionIdAreUtcEvenWhenTheShopIsNot(): void
    {
        $g = new CapturingGateway();
        // 00:30 in Paris on 30 November is 23:30 UTC on 29 November: the UTC day counts.
        $clock = new FixedClock('2026-11-30T00:30:00+01:00');
        $store = new MemoryTransactionIdStore();
        $fields = $this->builder($g, $clock, $store)->build(self::request());
        $this->assertSame('20261129233000', $fields['vads_trans_date']);
        $this->assertSame('846000', $fields['vads_trans_id']);
        $this->assertSame(['20261129/846000' => 42], $store->taken);
    }

    public function testTransactionIdsAreUniquePerDayEvenInTheSameTenthOfASecond(): void
    {
        $g = new CapturingGateway();
        $clock = new FixedClock('2026-11-29T00:00:00.05Z');
        $store = new MemoryTransactionIdStore();
        $b = $this->builder($g, $clock, $store);
        $ids = [];
        for ($i = 0; $i < 20; ++$i) {
            $ids[] = $b->build(self::request())['vads_trans_id'];
        }
        $this->assertSame(20, count(array_unique($ids)));
        foreach ($ids as $id) {
            $this->assertMatchesRegularExpression('/^\d{6}$/', $id);
            $this->assertLessThan(900000, (int) $id);
        }
        $this->assertSame('000000', $ids[0]);
        $this->assertSame('000001', $ids[1]);
        // Next day: the same number is free again.
        $clock->now = new \DateTimeImmutable('2026-11-30T00:00:00.05Z');
        $this->assertSame('000000', $b->build(self::request())['vads_trans_id']);
    }

    public function testAllocationGivesUpWhenTheStoreRefusesEverything(): void
    {
        $store = new MemoryTransactionIdStore();
        $clock = new FixedClock('2026-11-29T12:00:00Z');
        for ($i = 0; $i < TransactionIdAllocator::MAX_ATTEMPTS; ++$i) {
            $store->taken['20261129/' . sprintf('%06d', 432000 + $i)] = 1;
        }
        $this->expectException(\RuntimeException::class);
        $this->expectExceptionMessage('vads_trans_id');
        (new TransactionIdAllocator($clock, $store))->allocate(1);
    }

    public function testZeroDecimalCurrencyAmount(): void
    {
        $g = new CapturingGateway();
        $fields = $this->builder($g, new FixedClock('2026-11-29T10:00:00Z'))->build(self::request(1250, '392'));
        $this->assertSame(['1250', '392'], [$fields['vads_amount'], $fields['vads_currency']]);
    }

    public function testRefusesWhatCannotBePaid(): void
    {
        $b = $this->builder(new CapturingGateway(), new FixedClock('2026-11-29T10:00:00Z'));
        foreach ([[0, '978', 'vads_amount'], [100, 'EUR', 'vads_currency']] as [$amount, $cur, $field]) {
            try {
                $b->build(self::request($amount, $cur));
                $this->fail('accepted ' . $field);
            } catch (\InvalidArgumentException $e) {
                $this->assertStringStartsWith($field . ':', $e->getMessage());
            }
        }
    }

    public function testNormaliser(): void
    {
        $this->assertSame('Pizza Reine', Normaliser::value("  Pizza \r\n\t Reine "));
        $this->assertSame('scriptalert(1)/script', Normaliser::value('<script>alert(1)</script>'));
        $this->assertSame('Crème brûlée', Normaliser::value('Crème  brûlée'));
        $this->assertSame('Crème', Normaliser::value("Cr\xe8me"), 'Latin-1 input converted to UTF-8');
        $this->assertSame('a+b & c', Normaliser::value('a+b & c'), '+ and & kept: escaping is for output only');
    }

    /** With the real extension: the signature verifies, and equals an independent computation of the documented rule. */
    public function testSignatureWithTheRealExtension(): void
    {
        if (!\OCPizzaModule\Tests\Support\Extension::usable()) {
            $this->markTestSkipped('needs the ocpizza extension (php -d extension=$PWD/target/debug/libocpizza.so)');
        }
        foreach (['HMAC-SHA-256', 'SHA-1'] as $alg) {
            $fields = $this->builder(new CapturingGateway(), new FixedClock('2026-11-29T18:30:15Z'), null, [Keys::ALGORITHM => $alg])->build(self::request());
            $this->assertTrue(\OCPizza\SogeCommerce::verify($fields, '1122334455667788', $alg));
            $values = $fields;
            unset($values['signature']);
            ksort($values, SORT_STRING);
            $s = implode('+', $values) . '+1122334455667788';
            $expected = $alg === 'SHA-1' ? sha1($s) : base64_encode(hash_hmac('sha256', $s, '1122334455667788', true));
            $this->assertSame($expected, $fields['signature'], $alg);
            $fields['vads_amount'] = '1';
            $this->assertFalse(\OCPizza\SogeCommerce::verify($fields, '1122334455667788', $alg), 'tampering detected');
        }
    }
}
