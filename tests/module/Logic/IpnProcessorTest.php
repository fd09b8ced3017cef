<?php

namespace OCPizzaModule\Tests\Logic;

use OCPizzaModule\Adapter\ArrayConfig;
use OCPizzaModule\Config\Keys;
use OCPizzaModule\Config\Settings;
use OCPizzaModule\Ipn\CartSnapshot;
use OCPizzaModule\Ipn\IpnProcessor;
use OCPizzaModule\Ipn\StateIds;
use OCPizzaModule\Refund\RefundKey;
use OCPizzaModule\Tests\Support\FakeShopOrders;
use OCPizzaModule\Tests\Support\InMemoryGateway;
use OCPizzaModule\Tests\Support\MemoryLock;
use OCPizzaModule\Tests\Support\MemoryLogger;
use PHPUnit\Framework\TestCase;

/**
 * IPN decisions without PrestaShop. The notification is what parseNotification returns (the extension's own
 * tests cover parsing); here a parser double returns it, so every decision is checked in isolation.
 */
final class IpnProcessorTest extends TestCase
{
    private const PAYMENT = 2, PENDING = 20, TO_VALIDATE = 21, CANCELLED = 6, ERROR = 8, REFUND = 7, PREPARING = 23, PARTIAL_REFUND = 25;
    private const REST_PASSWORD = 'testpassword_SbEbeOueaMDyg8Rtei1bSaiB5lms9V0ZDjzldGXGAnIwH';
    private const PAID_UUID = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';

    /** @var FakeShopOrders */ private $orders;
    /** @var InMemoryGateway */ private $gateway;
    /** @var MemoryLock */ private $lock;
    /** @var MemoryLogger */ private $logger;
    /** @var array the notification the parser double returns */ private $n;

    protected function setUp(): void
    {
        $this->orders = new FakeShopOrders();
        $this->orders->carts[42] = new CartSnapshot(42, 'EUR', 2, 2590);
        $this->orders->paidStates = [self::PAYMENT, self::REFUND];
        $this->gateway = new InMemoryGateway();
        $this->gateway->parser = function (array $post, string $key, string $mode, string $alg) {
            $this->assertSame('1122334455667788', $key, 'the TEST key, trimmed');
            $this->assertSame('TEST', $mode);

            return $this->n;
        };
        $this->lock = new MemoryLock();
        $this->logger = new MemoryLogger();
        $this->n = self::notification('paid');
    }

    private static function notification(string $outcome, array $over = []): array
    {
        return $over + [
            'site_id' => '12345678', 'order_id' => '42', 'transaction_id' => '000123', 'transaction_uuid' => str_repeat('a1', 16),
            'transaction_date' => '2026-11-29T18:00:00Z', 'amount_cents' => 2590, 'currency_numeric' => '978', 'currency' => 'EUR',
            'raw_status' => ['paid' => 'AUTHORISED', 'pending' => 'WAITING_AUTHORISATION', 'to_validate' => 'AUTHORISED_TO_VALIDATE', 'cancelled' => 'CANCELLED', 'failed' => 'REFUSED', 'refunded' => 'CAPTURED'][$outcome],
            'outcome' => $outcome, 'operation_type' => 'DEBIT', 'trigger' => 'PAY', 'sequence_number' => 1, 'mode' => 'TEST',
            'idempotency_key' => '12345678:' . $outcome . ':000123',
        ];
    }

    private function processor(array $config = []): IpnProcessor
    {
        $settings = new Settings(new ArrayConfig($config + [Keys::SITE_ID => '12345678', Keys::KEY_TEST => " 1122334455667788\n", Keys::MODE => 'TEST',
            Keys::REST_PASSWORD_TEST => self::REST_PASSWORD]));
        $partial = array_key_exists('partial', $config) ? (int) $config['partial'] : self::PARTIAL_REFUND;

        return new IpnProcessor($settings, $this->gateway, $this->orders, $this->lock, new StateIds(self::PAYMENT, self::PENDING, self::TO_VALIDATE, self::CANCELLED, self::ERROR, self::REFUND, $partial), $this->logger);
    }

    private function existing(int $stateId, bool $paid): void
    {
        $this->orders->orders[42] = ['orderId' => 7, 'stateId' => $stateId, 'paid' => $paid];
    }

    public function noOrderYetProvider(): array
    {
        return [
            'paid creates a paid order' => ['paid', self::PAYMENT],
            'pending creates a pending order' => ['pending', self::PENDING],
            'to_validate creates an order to validate' => ['to_validate', self::TO_VALIDATE],
            'cancelled creates nothing' => ['cancelled', null],
            'failed creates nothing' => ['failed', null],
        ];
    }

    /** @dataProvider noOrderYetProvider */
    public function testNoOrderYet(string $outcome, ?int $expectedState): void
    {
        $this->n = self::notification($outcome);
        $r = $this->processor()->process(['vads_order_id' => '42']);

        $this->assertSame(200, $r->httpStatus);
        $this->assertSame($outcome, $r->outcome);
        $this->assertSame(['ocpizza_cart_42'], $this->lock->taken, 'decided under the per-cart lock');
        if ($expectedState === null) {
            $this->assertSame([], $this->orders->created);
            $this->assertSame([], $this->gateway->callsTo('recordPayment'));
            $this->assertStringStartsWith('OK-', $r->body);

            return;
        }
        $this->assertCount(1, $this->orders->created);
        $created = $this->orders->created[0];
        $this->assertSame($expectedState, $created['stateId']);
        $this->assertSame('25.90', $created['amountPaid'], 'the amount the gateway reports, from minor units');
        $this->assertSame(str_repeat('a1', 16), $created['transactionId'], 'the order payment carries the uuid back-office refunds need');
        $this->assertSame([100], $this->orders->recorded, 'order recorded in OCPizza_DB');
        $payments = $this->gateway->callsTo('recordPayment');
        $this->assertCount(1, $payments);
        $this->assertSame(['shop_order_id' => 100, 'provider' => 'sogecommerce', 'transaction_key' => '12345678:' . $outcome . ':000123',
            'amount_cents' => 2590, 'currency' => 'EUR', 'status' => $outcome, 'raw_status' => $this->n['raw_status'],
            'transaction_id' => '000123', 'transaction_uuid' => str_repeat('a1', 16), 'occurred_at' => '2026-11-29T18:00:00Z'], $payments[0]);
        $this->assertSame('OK-Order 100 created', $r->body);
    }

    public function testReplayedPaidNotificationIsAlreadyRegisteredAndCreatesNothing(): void
    {
        $p = $this->processor();
        $first = $p->process([]);
        $second = $p->process([]);
        $this->assertSame('OK-Order 100 created', $first->body);
        $this->assertSame(200, $second->httpStatus);
        $this->assertSame('OK-Already registered', $second->body);
        $this->assertCount(1, $this->orders->created, 'one order for the cart');
        $this->assertSame([], $this->orders->changes, 'no state change on a replay');
        $this->assertCount(2, $this->gateway->callsTo('recordPayment'), 'payment re-sent with the same idempotency key (Store ignores it)');
        $this->assertSame($this->gateway->callsTo('recordPayment')[0]['transaction_key'], $this->gateway->callsTo('recordPayment')[1]['transaction_key']);
    }

    public function lateNotificationProvider(): array
    {
        return [
            'late CANCELLED' => ['cancelled'],
            'late REFUSED' => ['failed'],
            're-sent WAITING (BO)' => ['pending'],
            'to validate' => ['to_validate'],
        ];
    }

    /** @dataProvider lateNotificationProvider */
    public function testPaidOrderNeverRegresses(string $outcome): void
    {
        $this->existing(self::PAYMENT, true);
        $this->n = self::notification($outcome, ['trigger' => 'BO']);
        $r = $this->processor()->process([]);
        $this->assertSame(200, $r->httpStatus);
        $this->assertSame('OK-Order already paid, status kept', $r->body);
        $this->assertSame([], $this->orders->changes);
        $this->assertSame([], $this->orders->created);
        $this->assertSame([], $this->gateway->callsTo('recordPayment'));
    }

    public function testPaidOrderFurtherInTheKitchenStaysWhereItIsOnAReplay(): void
    {
        $this->existing(self::PREPARING, true);
        $r = $this->processor()->process([]);
        $this->assertSame('OK-Already registered', $r->body);
        $this->assertSame([], $this->orders->changes);
        $this->assertSame([7], $this->orders->recorded);
    }

    public function testPendingOrderBecomesPaid(): void
    {
        $this->existing(self::PENDING, false);
        $r = $this->processor()->process([]);
        $this->assertSame('OK-Order 7 updated', $r->body);
        $this->assertSame([['orderId' => 7, 'stateId' => self::PAYMENT, 'note' => null]], $this->orders->changes);
        $this->assertCount(1, $this->gateway->callsTo('recordPayment'));
    }

    public function testPendingOrderRefusedGoesToPaymentError(): void
    {
        $this->existing(self::PENDING, false);
        $this->n = self::notification('failed');
        $r = $this->processor()->process([]);
        $this->assertSame(200, $r->httpStatus);
        $this->assertSame(self::ERROR, $this->orders->changes[0]['stateId']);
        $this->assertSame('failed', $this->gateway->callsTo('recordPayment')[0]['status']);
    }

    public function testAbandonedPaymentWithoutUuidOrOperationTypeCancelsAPendingOrder(): void
    {
        $this->existing(self::PENDING, false);
        $this->n = self::notification('cancelled', ['transaction_uuid' => null, 'operation_type' => null, 'raw_status' => 'ABANDONED']);
        $r = $this->processor()->process([]);
        $this->assertSame([200, 'OK-Order 7 updated'], [$r->httpStatus, $r->body]);
        $this->assertSame(self::CANCELLED, $this->orders->changes[0]['stateId']);
        $payment = $this->gateway->callsTo('recordPayment')[0];
        $this->assertArrayNotHasKey('transaction_uuid', $payment, 'unknown optional values are not sent as empty strings');
        $this->assertSame(['cancelled', 'ABANDONED'], [$payment['status'], $payment['raw_status']]);
    }

    public function testCancelledOrderIsNotReopenedByTheGateway(): void
    {
        $this->existing(self::CANCELLED, false);
        $r = $this->processor()->process([]);
        $this->assertSame('OK-Order closed, status kept', $r->body);
        $this->assertSame([], $this->orders->changes);
    }

    public function mismatchProvider(): array
    {
        return [
            'amount' => [['amount_cents' => 2500], 'OK-Amount mismatch (paid 2500, cart 2590 minor units), order 100 in payment error'],
            'currency' => [['currency' => 'USD', 'currency_numeric' => '840'], 'OK-Currency mismatch (paid USD, cart EUR), order 100 in payment error'],
        ];
    }

    /**
     * Issue 10: the documented rule — verified and recorded → OK- — holds for a mismatch too: the order exists, in
     * payment error with a private message; the OK- body still names the mismatch for the gateway's history.
     *
     * @dataProvider mismatchProvider
     */
    public function testMismatchCreatesTheOrderInPaymentErrorWithAMessage(array $over, string $body): void
    {
        $this->n = self::notification('paid', $over);
        $r = $this->processor()->process([]);
        $this->assertSame(200, $r->httpStatus, 'verified and recorded: no retry');
        $this->assertSame($body, $r->body);
        $this->assertSame(self::ERROR, $this->orders->created[0]['stateId']);
        $this->assertStringContainsString('mismatch', (string) $this->orders->created[0]['message']);
        $this->assertSame([], $this->orders->recorded, 'not sent to the restaurant');
        $this->assertSame([], $this->gateway->callsTo('recordPayment'));
    }

    public function testMismatchOnAPendingOrderMovesItToPaymentError(): void
    {
        $this->existing(self::PENDING, false);
        $this->n = self::notification('paid', ['amount_cents' => 1]);
        $r = $this->processor()->process([]);
        $this->assertSame(200, $r->httpStatus);
        $this->assertStringStartsWith('OK-Amount mismatch', $r->body, 'verified and recorded');
        $this->assertSame(self::ERROR, $this->orders->changes[0]['stateId']);
        $this->assertStringContainsString('Amount mismatch', (string) $this->orders->changes[0]['note']);
    }

    public function testRefundOfAPaidOrder(): void
    {
        $this->paidOrder();
        $this->n = self::notification('refunded', ['operation_type' => 'CREDIT', 'transaction_uuid' => str_repeat('b2', 16)]);
        $r = $this->processor()->process([]);
        $this->assertSame('OK-Refund recorded (full)', $r->body);
        $this->assertSame(self::REFUND, $this->orders->changes[0]['stateId']);
    }

    public function refusedProvider(): array
    {
        return [
            'tampered signature' => [new \OCPizza\SignatureException('signature: does not match'), 'KO-Invalid signature'],
            'wrong mode' => [new \OCPizza\ValidationException('vads_ctx_mode: "PRODUCTION" does not match the configured mode TEST'), 'KO-Invalid notification: vads_ctx_mode'],
            'malformed' => [new \OCPizza\ValidationException('vads_amount: not an integer'), 'KO-Invalid notification: vads_amount'],
        ];
    }

    /** @dataProvider refusedProvider */
    public function testRefusedMessagesAnswer200KoAndTouchNothing(\Throwable $e, string $body): void
    {
        $this->gateway->parser = static function () use ($e) {
            throw $e;
        };
        $r = $this->processor()->process(['vads_order_id' => '42', 'signature' => 'x']);
        $this->assertSame(200, $r->httpStatus, 'a retry cannot make it valid');
        $this->assertSame($body, $r->body);
        $this->assertFalse($r->isVerified());
        $this->assertSame([], $this->lock->taken);
        $this->assertSame([], $this->orders->created);
    }

    public function testWrongShopIdIsRefused(): void
    {
        $this->n = self::notification('paid', ['site_id' => '87654321']);
        $r = $this->processor()->process([]);
        $this->assertSame([200, 'KO-Wrong shop id'], [$r->httpStatus, $r->body]);
        $this->assertSame([], $this->orders->created);
    }

    public function testUnknownCartIsRefusedWith200(): void
    {
        $this->n = self::notification('paid', ['order_id' => '999']);
        $r = $this->processor()->process([]);
        $this->assertSame([200, 'KO-Unknown cart'], [$r->httpStatus, $r->body]);
        $this->n = self::notification('paid', ['order_id' => 'abc']);
        $this->assertSame('KO-Unknown cart', $this->processor()->process([])->body);
    }

    public function testCouldNotRecordAnswersNon200SoTheGatewayRetries(): void
    {
        $this->orders->recordFailure = new \RuntimeException('OCPizza_DB down');
        $r = $this->processor()->process([]);
        $this->assertSame(500, $r->httpStatus);
        $this->assertStringStartsWith('KO-', $r->body);
        // The retry finds the order (created before the failure) and completes the recording.
        $retry = $this->processor()->process([]);
        $this->assertSame([200, 'OK-Already registered'], [$retry->httpStatus, $retry->body]);
        $this->assertCount(1, $this->orders->created);
        $this->assertSame([100], $this->orders->recorded);
    }

    /**
     * Issue 10: an order OCPizza_DB refuses as invalid (its shop order id recorded for a different order) used to be
     * answered 500 forever. A retry cannot help: 200 KO- naming the field, the order kept unlinked, no payment row.
     */
    public function testAnOrderRefusedAsInvalidIsAnswered200KoNamingTheField(): void
    {
        $reason = 'shop_order_id: 100 is already recorded for a different order (reference "DEMO-0006", not "XKBKNABJK")';
        $this->orders->recordFailure = new \OCPizzaModule\Order\OrderRefused(100, 'shop_order_id', $reason);
        $r = $this->processor()->process([]);
        $this->assertSame([200, 'KO-Order 100 not sent to the restaurants: ' . mb_substr($reason, 0, 160)], [$r->httpStatus, $r->body]);
        $this->assertSame([], $this->gateway->callsTo('recordPayment'), 'no payment for an order OCPizza_DB does not hold');
        $this->assertCount(1, $this->orders->created, 'the PrestaShop order exists (paid), unlinked');
    }

    /** Issue 14: a value for an ascii_bin column that is not ASCII is refused by the module itself, naming the field. */
    public function testANonAsciiPaymentValueIsRefused200NamingTheField(): void
    {
        $this->n = self::notification('paid', ['currency' => 'EUR', 'idempotency_key' => "12345678:paid:\u{e9}t\u{e9}"]);
        $r = $this->processor()->process([]);
        $this->assertSame(200, $r->httpStatus);
        $this->assertStringStartsWith('KO-Refused: transaction_key: must be 1 to 128 printable ASCII characters', $r->body);
        $this->assertSame([], $this->gateway->callsTo('recordPayment'));
    }

    public function testBusyCartAnswers503(): void
    {
        $this->lock->timeOut = true;
        $r = $this->processor()->process([]);
        $this->assertSame(503, $r->httpStatus);
        $this->assertSame([], $this->orders->created);
    }

    public function testWithoutExtensionOrConfigurationNothingIsProcessed(): void
    {
        $this->gateway->loaded = false;
        $this->assertSame(503, $this->processor()->process([])->httpStatus);
        $this->gateway->loaded = true;
        $this->assertSame(503, $this->processor([Keys::SITE_ID => ''])->process([])->httpStatus);
    }

    public function testProductionModeUsesTheProductionKey(): void
    {
        $this->gateway->parser = function (array $post, string $key, string $mode) {
            $this->assertSame(['PRODKEY-9988', 'PRODUCTION'], [$key, $mode]);

            return self::notification('paid', ['mode' => 'PRODUCTION']);
        };
        $r = $this->processor([Keys::MODE => 'PRODUCTION', Keys::KEY_PRODUCTION => 'PRODKEY-9988'])->process([]);
        $this->assertSame(200, $r->httpStatus);
    }

    public function testLogsCarryNoKeyNoCardDataNoBody(): void
    {
        $this->processor()->process(['vads_card_number' => '497010XXXXXX0055', 'signature' => 'SIGNATURE-VALUE']);
        $this->gateway->parser = static function () {
            throw new \OCPizza\SignatureException('signature: does not match');
        };
        $this->processor()->process(['vads_card_number' => '497010XXXXXX0055', 'signature' => 'SIGNATURE-VALUE']);
        $log = $this->logger->text();
        $this->assertNotSame('', $log);
        foreach (['1122334455667788', '497010', 'SIGNATURE-VALUE'] as $secret) {
            $this->assertStringNotContainsString($secret, $log);
        }
    }

    // ---- REST notifications and money given back (issue 13) ------------------------------------------------------

    /** The REST parser double: checks what the processor passes (the mode's REST password, no HMAC key at the IPN). */
    private function restParser(): void
    {
        $this->gateway->parser = function () {
            $this->fail('a REST notification must not go to the form parser');
        };
        $this->gateway->restParser = function (array $post, string $password, string $hmacKey, string $mode) {
            $this->assertSame([self::REST_PASSWORD, '', 'TEST'], [$password, $hmacKey, $mode]);
            $this->assertSame(['kr-hash', 'kr-hash-algorithm', 'kr-hash-key', 'kr-answer-type', 'kr-answer'], array_keys($post));

            return $this->n;
        };
    }

    private static function restPost(): array
    {
        return ['kr-hash' => str_repeat('0', 64), 'kr-hash-algorithm' => 'sha256_hmac', 'kr-hash-key' => 'password', 'kr-answer-type' => 'V4/Payment', 'kr-answer' => '{}'];
    }

    private static function restNotification(string $outcome, string $orderStatus, array $over = []): array
    {
        return $over + ['order_status' => $orderStatus, 'order_cycle' => 'CLOSED', 'answer_type' => 'V4/Payment', 'hash_key' => 'password', 'trigger' => null]
            + self::notification($outcome, ['transaction_uuid' => self::PAID_UUID]);
    }

    /** An existing order, paid with the payment OCPizza_DB holds (2590, uuid PAID_UUID). */
    private function paidOrder(int $state = self::PAYMENT): void
    {
        $this->existing($state, true);
        $this->gateway->recordPayment(['shop_order_id' => 7, 'transaction_key' => 'pay-7', 'amount_cents' => 2590, 'currency' => 'EUR', 'status' => 'paid', 'transaction_uuid' => self::PAID_UUID]);
        $this->gateway->calls = [];
    }

    private static function credit(int $cents, string $uuid, string $outcome = 'refunded', array $over = []): array
    {
        return self::notification($outcome === 'refunded' ? 'refunded' : 'paid', $over + [
            'operation_type' => 'CREDIT', 'amount_cents' => $cents, 'transaction_uuid' => $uuid, 'transaction_id' => '000124',
            'outcome' => $outcome, 'raw_status' => ['refunded' => 'CAPTURED', 'refund_pending' => 'REFUND_TO_RETRY', 'refund_failed' => 'REFUSED'][$outcome],
            'trigger' => 'MERCH_BO', 'idempotency_key' => '12345678:' . $uuid . ':CREDIT',
        ]);
    }

    private function states(): array
    {
        return array_column($this->orders->changes, 'stateId');
    }

    public function testRestPaymentCreatesTheOrderLikeTheForm(): void
    {
        $this->restParser();
        $this->n = self::restNotification('paid', 'PAID');
        $r = $this->processor()->process(self::restPost());
        $this->assertSame([200, 'OK-Order 100 created'], [$r->httpStatus, $r->body]);
        $this->assertSame(self::PAYMENT, $this->orders->created[0]['stateId']);
        $this->assertSame(['ocpizza_cart_42'], $this->lock->taken);
        $this->assertSame([100], $this->orders->recorded);
        $payment = $this->gateway->callsTo('recordPayment')[0];
        $this->assertSame([100, 2590, 'EUR', 'paid', self::PAID_UUID], [$payment['shop_order_id'], $payment['amount_cents'], $payment['currency'], $payment['status'], $payment['transaction_uuid']]);
        $this->assertSame('OK-Already registered', $this->processor()->process(self::restPost())->body, 'a re-sent REST notification');
        $this->assertCount(1, $this->orders->created);
    }

    public function testRestWithoutItsPasswordIsNotProcessedAndTheGatewayRetries(): void
    {
        $this->restParser();
        $this->gateway->restParser = function () {
            $this->fail('nothing is parsed without the REST password');
        };
        $r = $this->processor([Keys::REST_PASSWORD_TEST => '  '])->process(self::restPost());
        $this->assertSame([503, 'KO-Module not configured: REST password'], [$r->httpStatus, $r->body]);
        $this->assertFalse($r->isVerified());
        $this->assertSame([], $this->orders->created);
        // The form API does not need it.
        $this->n = self::notification('paid');
        $this->gateway->parser = function () {
            return $this->n;
        };
        $this->assertSame(200, $this->processor([Keys::REST_PASSWORD_TEST => ''])->process(['vads_order_id' => '42'])->httpStatus);
    }

    public function restRefusedProvider(): array
    {
        $field = static function (string $field, string $reason): \OCPizza\ValidationException {
            $e = new \OCPizza\ValidationException($field . ': ' . $reason);
            $e->field = $field;

            return $e;
        };

        return [
            'bad kr-hash' => [new \OCPizza\SignatureException('kr-hash: does not match'), 'KO-Invalid signature'],
            'malformed amount' => [$field('kr-answer.transactions[0].amount', 'expected a non-negative integer'), 'KO-Invalid notification: kr-answer.transactions[0].amount'],
            'unknown answer type' => [$field('kr-answer-type', 'unknown "V4/Charge"'), 'KO-Invalid notification: kr-answer-type'],
            'other mode' => [$field('kr-answer.orderDetails.mode', 'PRODUCTION is not TEST'), 'KO-Invalid notification: kr-answer.orderDetails.mode'],
            'field named only in the message' => [new \OCPizza\ValidationException('kr-answer: not JSON'), 'KO-Invalid notification: kr-answer'],
        ];
    }

    /** @dataProvider restRefusedProvider */
    public function testRefusedRestNotificationsAnswer200KoNamingTheField(\Throwable $e, string $body): void
    {
        $this->restParser();
        $this->gateway->restParser = static function () use ($e) {
            throw $e;
        };
        $r = $this->processor()->process(self::restPost());
        $this->assertSame([200, $body], [$r->httpStatus, $r->body]);
        $this->assertSame([], $this->lock->taken);
        $this->assertSame([], $this->orders->created);
    }

    public function testAFormPostIsNotReadAsRestAndOneKrFieldMakesItRest(): void
    {
        $this->assertFalse(IpnProcessor::isRest(['vads_order_id' => '42', 'signature' => 'x']));
        $this->assertTrue(IpnProcessor::isRest(['kr-answer' => '{}']), 'kr-hash missing: the extension names it');
    }

    public function testAbandonedRestNotificationOfAnExistingOrderIsIgnored(): void
    {
        $this->restParser();
        $this->existing(self::PENDING, false);
        $this->n = self::restNotification('cancelled', 'ABANDONED', ['raw_status' => 'ABANDONED']);
        $r = $this->processor()->process(self::restPost());
        $this->assertSame([200, 'OK-Abandoned payment ignored'], [$r->httpStatus, $r->body]);
        $this->assertSame([], $this->orders->changes, 'the pending order is not cancelled');
        $this->assertSame([], $this->gateway->callsTo('recordPayment'));
        unset($this->orders->orders[42]);
        $this->assertSame('OK-Payment not accepted, no order created', $this->processor()->process(self::restPost())->body);
        $this->assertSame([], $this->orders->created);
    }

    public function testGatewayRefundsPartialThenFullRecordedOnceEachWithTheirStates(): void
    {
        $this->paidOrder();
        $this->n = self::credit(1000, 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1');
        $r = $this->processor()->process([]);
        $this->assertSame([200, 'OK-Refund recorded (partial)'], [$r->httpStatus, $r->body]);
        $this->assertSame([self::PARTIAL_REFUND], $this->states());
        $refund = $this->gateway->callsTo('recordRefund')[0];
        $this->assertSame([
            'shop_order_id' => 7, 'transaction_key' => RefundKey::refund('12345678', 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1'), 'amount_cents' => 1000,
            'currency' => 'EUR', 'source' => 'gateway', 'reason' => 'Notified by SogeCommerce (form IPN, CAPTURED)', 'requested_by' => 'SogeCommerce (MERCH_BO)',
            'transaction_id' => '000124', 'transaction_uuid' => 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1', 'occurred_at' => '2026-11-29T18:00:00Z',
        ], $refund);
        $this->assertSame([7], $this->orders->recorded, 'the order is in OCPizza_DB before its refund');

        // The same refund notified again (re-send): nothing written, no state change.
        $this->assertSame('OK-Refund already registered', $this->processor()->process([])->body);
        $this->assertCount(1, $this->orders->changes);

        // Partially refunded is not closed: the rest of the money comes back and the order is refunded.
        $this->n = self::credit(1590, 'c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2');
        $this->assertSame('OK-Refund recorded (full)', $this->processor()->process([])->body);
        $this->assertSame([self::PARTIAL_REFUND, self::REFUND], $this->states());
        // The paid DEBIT replayed later moves nothing.
        $this->n = self::notification('paid', ['transaction_uuid' => self::PAID_UUID]);
        $this->assertSame('OK-Already registered', $this->processor()->process([])->body);
        $this->assertCount(2, $this->orders->changes);
    }

    public function testARefundAlreadyRecordedByTheShopsBackOfficeChangesNothing(): void
    {
        $this->paidOrder(self::PARTIAL_REFUND);
        // The back office's CancelOrRefund answer came first and was recorded under the same key.
        $this->gateway->recordRefund(['shop_order_id' => 7, 'transaction_key' => RefundKey::refund('12345678', 'C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3'), 'amount_cents' => 500, 'currency' => 'EUR', 'source' => 'shop']);
        $this->n = self::credit(500, 'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3');
        $r = $this->processor()->process([]);
        $this->assertSame([200, 'OK-Refund already registered'], [$r->httpStatus, $r->body]);
        $this->assertSame([], $this->orders->changes);
    }

    public function testARefundBeyondWhatWasPaidIsRefusedNamingTheAmountAndLoggedAsAnError(): void
    {
        $this->paidOrder();
        $this->n = self::credit(2591, 'c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4');
        $r = $this->processor()->process([]);
        $this->assertSame(200, $r->httpStatus, 'a retry would be refused again');
        $this->assertStringStartsWith('KO-Refused: amount_cents: is 2591 but only 2590', $r->body);
        $this->assertStringContainsString('ERROR IPN (ipn): cart 42 refused: amount_cents', $this->logger->text());
        $this->assertSame([], $this->orders->changes);
    }

    public function pendingOrFailedRefundProvider(): array
    {
        return [['refund_pending'], ['refund_failed']];
    }

    /** @dataProvider pendingOrFailedRefundProvider */
    public function testARefundNotSettledIsNotedAndNothingRecorded(string $outcome): void
    {
        $this->paidOrder();
        $this->n = self::credit(1000, 'c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5', $outcome);
        $r = $this->processor()->process([]);
        $this->assertSame([200, 'OK-Refund ' . $outcome . ' noted, nothing recorded'], [$r->httpStatus, $r->body]);
        $this->assertSame([], $this->gateway->callsTo('recordRefund'));
        $this->assertSame([], $this->orders->changes);
        $this->assertStringContainsString('refund ' . $outcome, $this->logger->text());
    }

    public function testAPartialRefundLeavesAnOrderFurtherInTheKitchenWhereItIsAFullOneRefundsIt(): void
    {
        $this->paidOrder(self::PREPARING);
        $this->n = self::credit(1000, 'c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6');
        $this->assertSame('OK-Refund recorded (partial)', $this->processor()->process([])->body);
        $this->assertSame([], $this->orders->changes, 'the kitchen state is not moved back');
        $this->assertCount(1, $this->gateway->callsTo('recordRefund'), 'recorded in OCPizza_DB all the same');
        $this->n = self::credit(1590, 'c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7');
        $this->assertSame('OK-Refund recorded (full)', $this->processor()->process([])->body);
        $this->assertSame([self::REFUND], $this->states());
    }

    public function testWithoutThePartialStateInstalledAPartialRefundKeepsTheState(): void
    {
        $this->paidOrder();
        $this->n = self::credit(1000, 'c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8');
        $this->assertSame('OK-Refund recorded (partial)', $this->processor(['partial' => 0])->process([])->body);
        $this->assertSame([], $this->orders->changes);
    }

    public function testARefundOfAnOrderNeverPaidOrWithoutUuidIsRefused(): void
    {
        $this->existing(self::PENDING, false);
        $this->n = self::credit(1000, 'c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9');
        $this->assertSame([200, 'KO-Order 7 was never paid: refund not recorded'], [$this->processor()->process([])->httpStatus, $this->processor()->process([])->body]);
        $this->paidOrder();
        $this->n = self::credit(1000, '');
        $this->assertSame('KO-Invalid notification: vads_trans_uuid (a refund needs its transaction uuid)', $this->processor()->process([])->body);
        $this->assertSame([], $this->gateway->callsTo('recordRefund'));
    }

    public function testARestCreditIsARefundToo(): void
    {
        $this->restParser();
        $this->paidOrder();
        $this->n = self::restNotification('refunded', 'PAID', ['operation_type' => 'CREDIT', 'amount_cents' => 2590, 'transaction_uuid' => 'd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1', 'raw_status' => 'CAPTURED']);
        $this->assertSame('OK-Refund recorded (full)', $this->processor()->process(self::restPost())->body);
        $refund = $this->gateway->callsTo('recordRefund')[0];
        $this->assertSame([RefundKey::refund('12345678', 'd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1'), 'Notified by SogeCommerce (REST IPN, CAPTURED)', 'SogeCommerce'], [$refund['transaction_key'], $refund['reason'], $refund['requested_by']]);
        $this->assertSame([self::REFUND], $this->states());
    }

    /** A payment not captured yet, authorised for less then cancelled at the gateway: one refund row per step. */
    public function testCancellationsOfThePaidTransactionBeforeCapture(): void
    {
        $this->paidOrder();
        $this->n = self::notification('paid', ['transaction_uuid' => self::PAID_UUID, 'amount_cents' => 2000, 'trigger' => 'MERCH_BO']);
        $this->assertSame('OK-Cancellation recorded (partial)', $this->processor()->process([])->body);
        $this->assertSame([self::PARTIAL_REFUND], $this->states());
        $first = $this->gateway->callsTo('recordRefund')[0];
        $this->assertSame([RefundKey::cancellation('12345678', self::PAID_UUID, 2000), 2000, self::PAID_UUID], [$first['transaction_key'], $first['still_authorised_cents'], $first['payment_transaction_uuid']]);
        $this->assertArrayNotHasKey('amount_cents', $first, 'the Store computes it from what is left');
        $this->assertSame('OK-Cancellation already registered', $this->processor()->process([])->body, 'a re-send');

        $this->n = self::notification('cancelled', ['transaction_uuid' => self::PAID_UUID, 'raw_status' => 'CANCELLED', 'trigger' => 'MERCH_BO']);
        $this->orders->orders[42]['stateId'] = self::PARTIAL_REFUND;
        $this->assertSame('OK-Cancellation recorded (full)', $this->processor()->process([])->body);
        $this->assertSame([self::PARTIAL_REFUND, self::REFUND], $this->states());
        $this->assertSame(RefundKey::cancellation('12345678', self::PAID_UUID, 0), $this->gateway->callsTo('recordRefund')[2]['transaction_key']);

        // The earlier step delivered again after the full cancellation: nothing left, nothing recorded, status kept.
        $this->n = self::notification('paid', ['transaction_uuid' => self::PAID_UUID, 'amount_cents' => 1500]);
        $this->assertSame('OK-Order already paid, status kept', $this->processor()->process([])->body);
        $this->assertCount(2, $this->orders->changes);
    }

    public function testACancelledOrReducedTransactionThatIsNotThePaidOneChangesNothing(): void
    {
        $this->paidOrder();
        $this->n = self::notification('cancelled', ['transaction_uuid' => str_repeat('e2', 16), 'raw_status' => 'CANCELLED']);
        $this->assertSame('OK-Order already paid, status kept', $this->processor()->process([])->body);
        $this->n = self::notification('cancelled', ['transaction_uuid' => self::PAID_UUID, 'raw_status' => 'ABANDONED']);
        $this->assertSame('OK-Order already paid, status kept', $this->processor()->process([])->body, 'abandoned is no cancellation');
        $this->assertSame([], $this->orders->changes);
        $this->assertCount(1, $this->gateway->callsTo('recordRefund'));
    }
}
