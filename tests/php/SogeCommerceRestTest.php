<?php

declare(strict_types=1);

use OCPizza\SignatureException;
use OCPizza\SogeCommerce;
use OCPizza\ValidationException;
use PHPUnit\Framework\TestCase;

/** OCPizza\SogeCommerce::parseRestNotification (REST kr-* IPNs) and CREDIT form notifications. */
final class SogeCommerceRestTest extends TestCase
{
    private const PASSWORD = 'testpassword_SbEbeOueaMDyg8Rtei1bSaiB5lms9V0ZDjzldGXGAnIwH';
    private const HMAC_KEY = '38453613e7f44dc58732bad3dca2bca3';
    private const UUID = '0b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c';

    /** A REST answer of a paid card payment, as the platform documents it. */
    public static function answer(): array
    {
        return [
            'shopId' => '12345678', 'orderCycle' => 'CLOSED', 'orderStatus' => 'PAID',
            'orderDetails' => ['orderTotalAmount' => 1640, 'orderCurrency' => 'EUR', 'mode' => 'TEST', 'orderId' => 'XKBKNABJK'],
            'customer' => ['email' => 'lea@example.fr'],
            'transactions' => [[
                'uuid' => self::UUID, 'amount' => 1640, 'currency' => 'EUR', 'status' => 'PAID',
                'detailedStatus' => 'CAPTURED', 'operationType' => 'DEBIT', 'creationDate' => '2026-11-29T19:30:05+01:00',
                'transactionDetails' => ['sequenceNumber' => 1, 'cardDetails' => ['legacyTransId' => '000042']],
            ]],
            '_type' => 'V4/Payment',
        ];
    }

    /** The POST of a REST IPN: kr-hash computed here with PHP's own hash_hmac over the exact string posted. */
    public static function post(string $krAnswer, string $key = self::PASSWORD, string $hashKey = 'password'): array
    {
        return ['kr-hash' => hash_hmac('sha256', $krAnswer, $key), 'kr-hash-algorithm' => 'sha256_hmac',
            'kr-hash-key' => $hashKey, 'kr-answer-type' => 'V4/Payment', 'kr-answer' => $krAnswer];
    }

    private static function parse(array $post, string $hmacKey = ''): array
    {
        return SogeCommerce::parseRestNotification($post, self::PASSWORD, $hmacKey, 'TEST');
    }

    public function testAPaidRestIpnHasTheShapeOfAFormNotification(): void
    {
        $n = self::parse(self::post(json_encode(self::answer())) + ['other' => ['ignored']]);
        $this->assertSame(['order_id', 'transaction_id', 'transaction_uuid', 'transaction_date', 'amount_cents',
            'currency_numeric', 'currency', 'raw_status', 'outcome', 'operation_type', 'trigger', 'sequence_number',
            'idempotency_key', 'mode', 'site_id', 'order_status', 'order_cycle', 'answer_type', 'hash_key'], array_keys($n));
        $this->assertSame('XKBKNABJK', $n['order_id']);
        $this->assertSame(1640, $n['amount_cents']);
        $this->assertSame(['EUR', 978], [$n['currency'], $n['currency_numeric']]);
        $this->assertSame(['paid', 'CAPTURED', 'DEBIT'], [$n['outcome'], $n['raw_status'], $n['operation_type']]);
        $this->assertSame('2026-11-29T18:30:05Z', $n['transaction_date']);
        $this->assertSame('000042', $n['transaction_id']);
        $this->assertSame('password', $n['hash_key']);

        // The form IPN of the same transaction event gets the same idempotency key.
        $form = ['vads_site_id' => '12345678', 'vads_ctx_mode' => 'TEST', 'vads_trans_id' => '000042',
            'vads_trans_uuid' => strtoupper(self::UUID), 'vads_trans_date' => '20261129183005', 'vads_amount' => '1640',
            'vads_currency' => '978', 'vads_trans_status' => 'CAPTURED', 'vads_order_id' => 'XKBKNABJK',
            'vads_operation_type' => 'DEBIT', 'vads_sequence_number' => '1'];
        $form['signature'] = SogeCommerce::sign($form, 'k');
        $this->assertSame(SogeCommerce::parseNotification($form, 'k', 'TEST')['idempotency_key'], $n['idempotency_key']);
    }

    public function testTheHashIsCheckedOnTheExactPostedBytes(): void
    {
        $raw = json_encode(self::answer());
        $post = self::post($raw);
        $post['kr-answer'] = str_replace('"amount":1640', '"amount":1', $raw);
        $this->expectSignature(fn () => self::parse($post));
        // Pretty-printed after hashing: same JSON, other bytes.
        $post = self::post($raw);
        $post['kr-answer'] = json_encode(self::answer(), JSON_PRETTY_PRINT);
        $this->expectSignature(fn () => self::parse($post));
        $this->expectSignature(fn () => self::parse(self::post($raw, 'prodpassword_other')));
        // The browser return's key only where the caller gives it.
        $this->expectSignature(fn () => self::parse(self::post($raw, self::HMAC_KEY, 'sha256_hmac')));
        $this->assertSame('sha256_hmac', self::parse(self::post($raw, self::HMAC_KEY, 'sha256_hmac'), self::HMAC_KEY)['hash_key']);
        // JSON_UNESCAPED_SLASHES or not: the \/ tolerance of the official SDK.
        $a = self::answer();
        $a['orderDetails']['orderId'] = 'PS/42';
        $post = self::post(json_encode($a, JSON_UNESCAPED_SLASHES));
        $post['kr-answer'] = json_encode($a);
        $this->assertSame('PS/42', self::parse($post)['order_id']);
    }

    public function testUnknownOrMalformedAnswersAreRefusedNamingTheField(): void
    {
        $cases = [
            'kr-answer.transactions[0].amount' => fn (&$a) => $a['transactions'][0]['amount'] = '16.40',
            'kr-answer.transactions[0].currency' => fn (&$a) => $a['transactions'][0]['currency'] = 'EURO',
            'kr-answer.transactions[0].operationType' => fn (&$a) => $a['transactions'][0]['operationType'] = 'REFUND',
            'kr-answer.transactions[0].uuid' => fn (&$a) => $a['transactions'][0]['uuid'] = 'nope',
            'kr-answer.transactions' => fn (&$a) => $a['transactions'] = [],
            'kr-answer.orderDetails.mode' => fn (&$a) => $a['orderDetails']['mode'] = 'PRODUCTION',
            'kr-answer.orderDetails.orderId' => fn (&$a) => $a['orderDetails']['orderId'] = null,
            'kr-answer.shopId' => fn (&$a) => $a['shopId'] = 'abc',
        ];
        foreach ($cases as $field => $edit) {
            $a = self::answer();
            $edit($a);
            $this->expectField($field, fn () => self::parse(self::post(json_encode($a))));
        }
        $this->expectField('kr-answer', fn () => self::parse(self::post('{"shopId":')));
        $post = self::post(json_encode(self::answer()));
        $post['kr-answer-type'] = 'V4/Charge/ProcessPaymentAnswer';
        $this->expectField('kr-answer-type', fn () => self::parse($post));
        $post = self::post(json_encode(self::answer()));
        $post['kr-hash-algorithm'] = 'sha1';
        $this->expectField('kr-hash-algorithm', fn () => self::parse($post));
        $post = self::post(json_encode(self::answer()));
        $post['kr-answer'] = ['x'];
        $this->expectField('kr-answer', fn () => self::parse($post));
        $this->expectField('mode', fn () => SogeCommerce::parseRestNotification(self::post('{}'), self::PASSWORD, '', 'test'));
    }

    public function testRefundsAreNeverPaid(): void
    {
        $a = self::answer();
        $a['transactions'][0]['operationType'] = 'CREDIT';
        $n = self::parse(self::post(json_encode($a)));
        $this->assertSame(['refunded', 'CREDIT'], [$n['outcome'], $n['operation_type']]);
        $a['transactions'][0]['detailedStatus'] = 'CANCELLED';
        $this->assertSame('refund_failed', self::parse(self::post(json_encode($a)))['outcome']);

        // The form API's CREDIT notification too (before issue 13 a CREDIT CAPTURED read as "paid").
        $form = ['vads_site_id' => '12345678', 'vads_ctx_mode' => 'TEST', 'vads_trans_id' => '000043',
            'vads_trans_date' => '20261130100000', 'vads_amount' => '640', 'vads_currency' => '978',
            'vads_trans_status' => 'CAPTURED', 'vads_order_id' => 'XKBKNABJK', 'vads_operation_type' => 'CREDIT',
            'vads_url_check_src' => 'MERCH_BO'];
        $form['signature'] = SogeCommerce::sign($form, 'k');
        $this->assertSame('refunded', SogeCommerce::parseNotification($form, 'k', 'TEST')['outcome']);
    }

    private function expectSignature(callable $call): void
    {
        try {
            $call();
            $this->fail('expected a SignatureException');
        } catch (SignatureException $e) {
            $this->assertStringNotContainsString(self::PASSWORD, $e->getMessage());
            $this->assertStringNotContainsString(self::HMAC_KEY, $e->getMessage());
        }
    }

    private function expectField(string $field, callable $call): void
    {
        try {
            $call();
            $this->fail("expected a ValidationException on $field");
        } catch (ValidationException $e) {
            $this->assertSame($field, $e->field, $e->getMessage());
        }
    }
}
