<?php

declare(strict_types=1);

use OCPizza\SignatureException;
use OCPizza\SogeCommerce;
use OCPizza\ValidationException;
use PHPUnit\Framework\TestCase;

/** OCPizza\SogeCommerce against the documented example, SHA-1, kr-hash and whole notifications. */
final class SogeCommerceTest extends TestCase
{
    private const DOC_KEY = '1122334455667788';
    private const KEY = 'test-key-7a9b3c';

    /** The example of SogeCommerce's documentation (hosted payment form, signature computation). */
    private static function documented(): array
    {
        return [
            'vads_action_mode' => 'INTERACTIVE', 'vads_amount' => '5124', 'vads_ctx_mode' => 'TEST',
            'vads_currency' => '978', 'vads_page_action' => 'PAYMENT', 'vads_payment_config' => 'SINGLE',
            'vads_site_id' => '12345678', 'vads_trans_date' => '20170129130025', 'vads_trans_id' => '123456',
            'vads_version' => 'V2',
        ];
    }

    /** A signed IPN of a paid card payment. */
    private static function ipn(array $override = [], string $key = self::KEY, string $alg = 'HMAC-SHA-256'): array
    {
        $f = array_merge([
            'vads_site_id' => '12345678', 'vads_ctx_mode' => 'TEST', 'vads_trans_id' => '000042',
            'vads_trans_uuid' => 'A1B2C3D4E5F60718293A4B5C6D7E8F90', 'vads_trans_date' => '20261129183005',
            'vads_amount' => '1640', 'vads_currency' => '978', 'vads_trans_status' => 'AUTHORISED',
            'vads_order_id' => 'XKBKNABJK', 'vads_operation_type' => 'DEBIT', 'vads_url_check_src' => 'PAY',
            'vads_sequence_number' => '1', 'vads_card_brand' => 'CB', 'vads_cust_first_name' => 'Léa',
            'vads_hash' => 'ignored-by-us',
        ], $override);
        $f = array_filter($f, static fn ($v) => $v !== null);
        $f['signature'] = SogeCommerce::sign($f, $key, $alg);

        return $f;
    }

    public function testDocumentedExample(): void
    {
        $this->assertSame('ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0=', SogeCommerce::sign(self::documented(), self::DOC_KEY));
        $this->assertSame('ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0=', SogeCommerce::sign(self::documented(), self::DOC_KEY, 'HMAC-SHA-256'));
    }

    public function testOrderOfTheArrayAndOtherKeysDoNotMatter(): void
    {
        $f = array_reverse(self::documented(), true) + ['signature' => 'x', 'other' => 'y', 7 => 'z'];
        $this->assertSame('ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0=', SogeCommerce::sign($f, self::DOC_KEY));
    }

    public function testSha1IsLowercaseHexOfTheJoinedValuesAndKey(): void
    {
        $f = self::documented();
        ksort($f, SORT_STRING);
        $expected = sha1(implode('+', $f) . '+' . self::DOC_KEY);
        $this->assertSame($expected, SogeCommerce::sign(self::documented(), self::DOC_KEY, 'SHA-1'));
        $this->assertMatchesRegularExpression('/^[0-9a-f]{40}$/', $expected);
    }

    public function testHmacMatchesPlainPhpOnUtf8PlusAndEmptyValues(): void
    {
        $f = ['vads_b' => 'a+b', 'vads_a' => '', 'vads_product_label10' => 'Crème brûlée', 'vads_product_label2' => 'x',
            'vads_amount' => 1640, 'vads_flag' => true, 'vads_none' => null, 'vads_off' => false];
        $plain = array_map('strval', $f);
        ksort($plain, SORT_STRING);
        $expected = base64_encode(hash_hmac('sha256', implode('+', $plain) . '+k', 'k', true));
        $this->assertSame($expected, SogeCommerce::sign($f, 'k'));
    }

    public function testNonUtf8BytesAreSignedAsTheyAre(): void
    {
        $f = ['vads_x' => "\xff\xfe", 'vads_y' => 'ok'];
        $expected = base64_encode(hash_hmac('sha256', "\xff\xfe+ok+\x00k", "\x00k", true));
        $this->assertSame($expected, SogeCommerce::sign($f, "\x00k"));
    }

    public function testVerifyTrueFalseAndTampered(): void
    {
        $f = self::documented() + ['signature' => 'ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0='];
        $this->assertTrue(SogeCommerce::verify($f, self::DOC_KEY));
        $this->assertFalse(SogeCommerce::verify($f, '1122334455667789'), 'other key');
        $tampered = $f;
        $tampered['vads_amount'] = '5125';
        $this->assertFalse(SogeCommerce::verify($tampered, self::DOC_KEY), 'tampered amount');
        $added = $f + ['vads_extra' => ''];
        $this->assertFalse(SogeCommerce::verify($added, self::DOC_KEY), 'added empty vads field');
        unset($f['signature']);
        $this->assertFalse(SogeCommerce::verify($f, self::DOC_KEY), 'no signature');
        $sha = self::documented();
        $sha['signature'] = SogeCommerce::sign($sha, self::DOC_KEY, 'SHA-1');
        $this->assertTrue(SogeCommerce::verify($sha, self::DOC_KEY, 'SHA-1'));
        $this->assertFalse(SogeCommerce::verify($sha, self::DOC_KEY), 'SHA-1 signature checked as HMAC');
    }

    public function testUnknownAlgorithmIsAValidationError(): void
    {
        try {
            SogeCommerce::verify(self::documented(), 'k', 'hmac-sha-256');
            $this->fail('no exception');
        } catch (ValidationException $e) {
            $this->assertSame('algorithm', $e->field);
            $this->assertStringStartsWith('algorithm: ', $e->getMessage());
        }
    }

    public function testNestedArraysAndObjectsAreRefusedNamingTheKey(): void
    {
        foreach ([['vads_amount' => ['1']], ['vads_amount' => new stdClass()]] as $f) {
            try {
                SogeCommerce::sign($f, 'k');
                $this->fail('no exception');
            } catch (ValidationException $e) {
                $this->assertSame('vads_amount', $e->field);
            }
        }
    }

    public function testKrHashAndItsSlashTolerance(): void
    {
        $answer = '{"orderStatus":"PAID","orderDetails":{"orderId":"X\/1"}}';
        $hash = SogeCommerce::krHash($answer, 'sk');
        $this->assertSame(hash_hmac('sha256', $answer, 'sk'), $hash);
        $this->assertTrue(SogeCommerce::verifyKrHash($answer, $hash, 'sk'));
        $unescapedHash = hash_hmac('sha256', str_replace('\/', '/', $answer), 'sk');
        $this->assertTrue(SogeCommerce::verifyKrHash($answer, $unescapedHash, 'sk'), 'hash of the answer with \/ → /');
        $this->assertFalse(SogeCommerce::verifyKrHash($answer, $hash, 'other'));
        $this->assertFalse(SogeCommerce::verifyKrHash($answer . ' ', $hash, 'sk'));
        $this->assertFalse(SogeCommerce::verifyKrHash($answer, strtoupper($hash), 'sk'));
        $this->assertFalse(SogeCommerce::verifyKrHash($answer, '', 'sk'));
    }

    public function testParseNotificationOfAPaidPayment(): void
    {
        $n = SogeCommerce::parseNotification(self::ipn(), self::KEY, 'TEST');
        $this->assertSame([
            'order_id' => 'XKBKNABJK',
            'transaction_id' => '000042',
            'transaction_uuid' => 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
            'transaction_date' => '2026-11-29T18:30:05Z',
            'amount_cents' => 1640,
            'currency_numeric' => 978,
            'currency' => 'EUR',
            'raw_status' => 'AUTHORISED',
            'outcome' => 'paid',
            'operation_type' => 'DEBIT',
            'trigger' => 'PAY',
            'sequence_number' => 1,
            'idempotency_key' => $n['idempotency_key'],
            'mode' => 'TEST',
            'site_id' => '12345678',
        ], $n);
        $this->assertNotSame('', $n['idempotency_key']);
        $this->assertLessThanOrEqual(190, strlen($n['idempotency_key']));
    }

    public function testTheIdempotencyKeyIsStableAcrossResendsAndDiffersBetweenEvents(): void
    {
        $first = SogeCommerce::parseNotification(self::ipn(), self::KEY, 'TEST');
        $resent = SogeCommerce::parseNotification(self::ipn(['vads_url_check_src' => 'RETRY', 'vads_hash' => 'other']), self::KEY, 'TEST');
        $this->assertSame($first['idempotency_key'], $resent['idempotency_key']);
        $refund = SogeCommerce::parseNotification(self::ipn(['vads_operation_type' => 'CREDIT']), self::KEY, 'TEST');
        $this->assertNotSame($first['idempotency_key'], $refund['idempotency_key']);
    }

    /** @dataProvider statuses */
    public function testOutcomeOfEachStatusGroup(string $status, string $outcome): void
    {
        $n = SogeCommerce::parseNotification(self::ipn(['vads_trans_status' => $status]), self::KEY, 'TEST');
        $this->assertSame($outcome, $n['outcome']);
        $this->assertSame($status, $n['raw_status']);
    }

    public function statuses(): array
    {
        return [['AUTHORISED', 'paid'], ['CAPTURED', 'paid'], ['AUTHORISED_TO_VALIDATE', 'to_validate'],
            ['WAITING_AUTHORISATION', 'pending'], ['ABANDONED', 'cancelled'], ['CANCELLED', 'cancelled'],
            ['REFUSED', 'failed'], ['SOMETHING_NEW', 'failed']];
    }

    public function testOptionalFieldsAbsentAreNull(): void
    {
        $n = SogeCommerce::parseNotification(self::ipn(['vads_trans_uuid' => null, 'vads_operation_type' => null,
            'vads_url_check_src' => null]), self::KEY, 'TEST');
        $this->assertNull($n['transaction_uuid']);
        $this->assertNull($n['operation_type']);
        $this->assertNull($n['trigger']);
    }

    public function testProductionModeAndSha1(): void
    {
        $n = SogeCommerce::parseNotification(self::ipn(['vads_ctx_mode' => 'PRODUCTION'], 'prodkey', 'SHA-1'), 'prodkey', 'PRODUCTION', 'SHA-1');
        $this->assertSame('PRODUCTION', $n['mode']);
    }

    public function testBadSignatureIsASignatureException(): void
    {
        $cases = ['wrong key' => [self::ipn(), 'other-key'], 'tampered' => [array_merge(self::ipn(), ['vads_amount' => '1']), self::KEY],
            'missing' => [array_diff_key(self::ipn(), ['signature' => 1]), self::KEY]];
        foreach ($cases as $name => [$post, $key]) {
            try {
                SogeCommerce::parseNotification($post, $key, 'TEST');
                $this->fail("$name: no exception");
            } catch (SignatureException $e) {
                $this->assertStringStartsWith('signature: ', $e->getMessage(), $name);
                $this->assertStringNotContainsString($key, $e->getMessage(), "$name: the key never appears");
            }
        }
    }

    /** @dataProvider invalidNotifications */
    public function testInvalidNotificationsNameTheirField(array $override, string $field, string $mode = 'TEST'): void
    {
        try {
            SogeCommerce::parseNotification(self::ipn($override), self::KEY, $mode);
            $this->fail('no exception');
        } catch (ValidationException $e) {
            $this->assertSame($field, $e->field);
            $this->assertStringStartsWith($field . ': ', $e->getMessage());
        }
    }

    public function invalidNotifications(): array
    {
        return [
            'mode mismatch' => [[], 'vads_ctx_mode', 'PRODUCTION'],
            'missing amount' => [['vads_amount' => null], 'vads_amount'],
            'malformed amount' => [['vads_amount' => '16.40'], 'vads_amount'],
            'unknown currency' => [['vads_currency' => '999'], 'vads_currency'],
            'malformed date' => [['vads_trans_date' => '2026-11-29'], 'vads_trans_date'],
            'missing status' => [['vads_trans_status' => null], 'vads_trans_status'],
            'malformed uuid' => [['vads_trans_uuid' => 'xyz'], 'vads_trans_uuid'],
            'non-UTF-8 value' => [['vads_cust_first_name' => "L\xe9a"], 'vads_cust_first_name'],
            'nested array' => [['vads_order_id' => ['a']], 'vads_order_id'],
        ];
    }

    public function testUnknownModeIsRefusedByName(): void
    {
        try {
            SogeCommerce::parseNotification(self::ipn(), self::KEY, 'test');
            $this->fail('no exception');
        } catch (ValidationException $e) {
            $this->assertSame('mode', $e->field);
        }
    }

    public function testWrongArgumentTypesAreTypeErrors(): void
    {
        $this->expectException(TypeError::class);
        SogeCommerce::sign('not an array', 'k');
    }
}
