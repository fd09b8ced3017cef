<?php

declare(strict_types=1);

use OCPizza\ValidationException;
use OCPizza\Webhooks;
use PHPUnit\Framework\TestCase;

/** OCPizza\Webhooks::sign on the official Standard Webhooks example. */
final class WebhooksTest extends TestCase
{
    private const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

    public function testOfficialVector(): void
    {
        $this->assertSame('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
            Webhooks::sign(self::SECRET, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'));
    }

    public function testSameAsPlainPhp(): void
    {
        $key = base64_decode(substr(self::SECRET, 6));
        $body = "{\"type\":\"order.created\",\"data\":{\"x\":\"\xc3\xa9\"}}";
        $expected = 'v1,' . base64_encode(hash_hmac('sha256', "evt_1.1700000000.$body", $key, true));
        $this->assertSame($expected, Webhooks::sign(self::SECRET, 'evt_1', 1700000000, $body));
    }

    /**
     * Issue 11: secrets whose base64 lost its `=` padding, as the Standard Webhooks reference libraries accept them
     * (Python's test_signature_verification_with_unpadded_secret: 23- and 25-byte keys); expected values are the
     * official message signed with the keys PHP's own base64_decode gives.
     */
    public function testUnpaddedSecretsAsTheReferenceLibrariesReadThem(): void
    {
        foreach (['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr'] as $b64) {
            $key = base64_decode($b64);
            $expected = 'v1,' . base64_encode(hash_hmac('sha256', 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}', $key, true));
            $this->assertSame($expected, Webhooks::sign('whsec_' . $b64, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'));
        }
        $this->assertSame('v1,LVOXivKoo4FWasi/IaHvzhE/u+7/cu2AME+zS/nXqzk=',
            Webhooks::sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'));
    }

    /** @dataProvider refused */
    public function testRefusalsNameTheArgument(string $secret, string $msgId, int $ts, string $field): void
    {
        try {
            Webhooks::sign($secret, $msgId, $ts, '{}');
            $this->fail('no exception');
        } catch (ValidationException $e) {
            $this->assertSame($field, $e->field);
            $this->assertStringNotContainsString('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', $e->getMessage());
        }
    }

    public function refused(): array
    {
        return [
            'not base64' => ['whsec_!!!!', 'msg_1', 1, 'secret'],
            'empty key' => ['whsec_', 'msg_1', 1, 'secret'],
            'impossible base64 length' => ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwB', 'msg_1', 1, 'secret'],
            'empty id' => [self::SECRET, '', 1, 'msgId'],
            'dot in id' => [self::SECRET, 'a.b', 1, 'msgId'],
            'negative timestamp' => [self::SECRET, 'msg_1', -1, 'timestamp'],
        ];
    }
}
