<?php

namespace OCPizzaModule\Tests\Logic;

use OCPizzaModule\Config\InvalidSetting;
use OCPizzaModule\Config\Keys;
use OCPizzaModule\Config\StateMappingConfig;
use OCPizzaModule\Order\StatusPath;
use PHPUnit\Framework\TestCase;

final class StateMappingTest extends TestCase
{
    public function testTextRoundTripAndLookup(): void
    {
        $m = StateMappingConfig::fromText("2=accepted\r\n\n 30 = in_preparation\n5=delivered\n", [2, 5, 30]);
        $this->assertSame('accepted', $m->statusFor(2));
        $this->assertSame('in_preparation', $m->statusFor(30));
        $this->assertNull($m->statusFor(8), 'unmapped state: no OC Pizza change');
        $again = StateMappingConfig::fromJson($m->toJson());
        $this->assertSame($m->all(), $again->all());
        $this->assertSame("2=accepted\n30=in_preparation\n5=delivered", $again->toText());
    }

    public function invalidProvider(): array
    {
        return [
            'garbage' => ["2=accepted\nhello", 'line_format', 2],
            'unknown state id' => ['99=accepted', 'unknown_state', 1],
            'unknown status' => ['2=baking', 'unknown_status', 1],
            'received is set by recordOrder only' => ['2=received', 'unknown_status', 1],
            'state mapped twice' => ["2=accepted\n2=cancelled", 'duplicate_state', 2],
        ];
    }

    /** @dataProvider invalidProvider */
    public function testInvalidLinesAreNamed(string $text, string $reason, int $line): void
    {
        try {
            StateMappingConfig::fromText($text, [2, 5]);
            $this->fail('accepted');
        } catch (InvalidSetting $e) {
            $this->assertSame([Keys::STATE_MAP, $reason, $line], [$e->field, $e->reason, $e->params['line']]);
        }
    }

    public function testJsonWithGarbageKeepsOnlyValidEntries(): void
    {
        $this->assertSame([2 => 'accepted'], StateMappingConfig::fromJson('{"2":"accepted","x":"ready","3":"nope"}')->all());
        $this->assertSame([], StateMappingConfig::fromJson('not json')->all());
    }

    public function pathProvider(): array
    {
        return [
            'paid' => ['received', 'accepted', 'delivery', ['accepted']],
            'straight to ready walks the kitchen' => ['accepted', 'ready', 'delivery', ['in_preparation', 'ready']],
            'from received to out for delivery' => ['received', 'out_for_delivery', 'delivery', ['accepted', 'in_preparation', 'ready', 'out_for_delivery']],
            'delivered state on a takeaway order means picked up' => ['ready', 'delivered', 'takeaway', ['picked_up']],
            'picked up on a delivery means delivered' => ['out_for_delivery', 'picked_up', 'delivery', ['delivered']],
            'out for delivery does not exist for takeaway' => ['ready', 'out_for_delivery', 'takeaway', []],
            'same status' => ['ready', 'ready', 'delivery', []],
            'never backwards' => ['ready', 'accepted', 'delivery', []],
            'cancel from anywhere not final' => ['in_preparation', 'cancelled', 'takeaway', ['cancelled']],
            'final stays final' => ['delivered', 'cancelled', 'delivery', []],
            'cancelled stays cancelled' => ['cancelled', 'accepted', 'delivery', []],
        ];
    }

    /** @dataProvider pathProvider */
    public function testStatusPath(string $current, string $target, string $fulfilment, array $steps): void
    {
        $this->assertSame($steps, StatusPath::steps($current, $target, $fulfilment));
    }
}
