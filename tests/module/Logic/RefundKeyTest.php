<?php

namespace OCPizzaModule\Tests\Logic;

use OCPizzaModule\Refund\RefundKey;
use PHPUnit\Framework\TestCase;

final class RefundKeyTest extends TestCase
{
    public function testTheAnswerAndTheNotificationOfOneRefundGiveOneKey(): void
    {
        $fromAnswer = RefundKey::refund('12345678', '4B2F9C0E1D3A4F5E6B7C8D9E0F1A2B3C');
        $fromNotification = RefundKey::refund('12345678', '4b2f9c0e1d3a4f5e6b7c8d9e0f1a2b3c');
        $this->assertSame($fromAnswer, $fromNotification, 'uuid case does not matter');
        $this->assertSame('sc:12345678:refund:4b2f9c0e1d3a4f5e6b7c8d9e0f1a2b3c', $fromAnswer);
    }

    public function testEachStepOfACancellationHasItsOwnKey(): void
    {
        $uuid = 'aa11bb22cc33dd44ee55ff6677889900';
        $this->assertSame('sc:12345678:cancel:' . $uuid . ':900', RefundKey::cancellation('12345678', $uuid, 900));
        $this->assertNotSame(RefundKey::cancellation('12345678', $uuid, 900), RefundKey::cancellation('12345678', $uuid, 0));
        $this->assertNotSame(RefundKey::refund('12345678', $uuid), RefundKey::cancellation('12345678', $uuid, 0));
    }

    public function testMalformedPartsAreRefusedByName(): void
    {
        foreach ([['', 'abc'], ['12345678', ''], ['12:34', 'abc'], ['12345678', 'ab:c']] as [$site, $uuid]) {
            try {
                RefundKey::refund($site, $uuid);
                $this->fail('accepted ' . $site . ' / ' . $uuid);
            } catch (\InvalidArgumentException $e) {
                $this->assertMatchesRegularExpression('/^(site id|uuid): /', $e->getMessage());
            }
        }
        $this->expectException(\InvalidArgumentException::class);
        RefundKey::cancellation('12345678', 'abc', -1);
    }
}
