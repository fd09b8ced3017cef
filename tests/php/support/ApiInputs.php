<?php

declare(strict_types=1);

namespace OCPizza\Tests;

/**
 * Seeded generator of PHP values for ApiPropertyTest: arbitrary byte strings (non-UTF-8, control characters,
 * huge), near-misses of valid codes, every scalar type, nested and self-referencing arrays, arrays holding
 * references, objects and resources, and valid API inputs (orders, payments, notifications) with one part
 * replaced by such a value. Same seed, same values.
 */
final class ApiInputs
{
    /** Characters that break codes: accents, emoji, controls, bidi override, separators. */
    private const SPICE = ['É', 'é', "\u{1F355}", "\0", "\t", "\n", "\r", "\x7f", "\u{202E}", "\u{00A0}", ' ', '-',
        '_', '.', ':', '/', '@', '+', '%', "'", '"', '\\', "\xC9", "\xFF", "\xC3", "\xED\xA0\x80"];

    /** Valid values of the API's string parameters, mutated by nearMiss(). */
    public const VALID = ['BELLECOUR', 'PART-DIEU', 'GERLAND', 'PIZZA-MARGHERITA', 'DRINK-COLA-33', 'EUR', 'FR',
        'accepted', 'cancelled', 'received', 'HMAC-SHA-256', 'SHA-1', 'TEST', 'PRODUCTION', '2026-11-29T19:30:00+01:00',
        'sc:12345678:u1:DEBIT:1:AUTHORISED', 'card_online', 'delivery', 'takeaway', '10.00', '69002', 'a@b.fr'];

    private \Random\Randomizer $rng;
    /** @var list<resource> kept open so that values holding them stay valid */
    private array $resources = [];

    public function __construct(int $seed)
    {
        $this->rng = new \Random\Randomizer(new \Random\Engine\Mt19937($seed));
    }

    public function int(int $min, int $max): int
    {
        return $this->rng->getInt($min, $max);
    }

    public function chance(float $p): bool
    {
        return $this->rng->getInt(0, 9999) < (int) ($p * 10000);
    }

    /** @template T @param list<T> $items @return T */
    public function pick(array $items)
    {
        return $items[$this->rng->getInt(0, count($items) - 1)];
    }

    /** Any string: raw bytes, text with spice, near-misses, numerics, huge ones. */
    public function string(): string
    {
        switch ($this->int(0, 9)) {
            case 0:
            case 1:
                $n = $this->int(0, 40);

                return $n === 0 ? '' : $this->rng->getBytes($n);
            case 2:
            case 3:
                $s = '';
                for ($i = $this->int(0, 24); $i > 0; $i--) {
                    $s .= $this->chance(0.6) ? chr($this->int(0x21, 0x7e)) : $this->pick(self::SPICE);
                }

                return $s;
            case 4:
            case 5:
            case 6:
                return $this->nearMiss($this->pick(self::VALID));
            case 7:
                return $this->pick(['', ' ', '0', '-1', '1e3', '0x1A', ' 7 ', 'null', 'true', '[]', '{}', "\0"]);
            case 8:
                return $this->pick(self::VALID);
            default:
                // Huge: up to 256 KiB of one character or of random bytes.
                return $this->chance(0.5)
                    ? str_repeat($this->pick(['A', 'É', "\0", '9']), $this->int(65, 262_144))
                    : $this->rng->getBytes($this->int(200, 20_000));
        }
    }

    /** $valid with one change: a spice character inserted, a character dropped, case flipped, or padding. */
    public function nearMiss(string $valid): string
    {
        $at = $this->int(0, strlen($valid));
        switch ($this->int(0, 5)) {
            case 0:
                return substr($valid, 0, $at) . $this->pick(self::SPICE) . substr($valid, $at);
            case 1:
                return substr($valid, 0, max(0, $at - 1)) . substr($valid, $at);
            case 2:
                return strtolower($valid);
            case 3:
                return $valid . str_repeat('X', $this->int(1, 300));
            case 4:
                return ' ' . $valid . ' ';
            default:
                return str_replace('E', 'É', $valid);
        }
    }

    /** A value of any type; strings included unless $noString. */
    public function any(bool $noString = false, int $depth = 0)
    {
        $kind = $this->int($noString ? 1 : 0, 9);
        switch ($kind) {
            case 0:
                return $this->string();
            case 1:
                return $this->pick([0, 1, -1, 42, PHP_INT_MAX, PHP_INT_MIN, $this->int(PHP_INT_MIN, PHP_INT_MAX)]);
            case 2:
                return $this->pick([0.0, -0.0, 0.5, 1.0, 16.4, 1e300, -1e-300, INF, -INF, NAN]);
            case 3:
                return $this->chance(0.5);
            case 4:
                return null;
            case 5:
            case 6:
                return $depth > 3 ? [] : $this->array($depth + 1);
            case 7:
                return $this->object();
            case 8:
                return $this->deep($this->int(10, 24));
            default:
                $r = fopen('php://memory', 'r');
                $this->resources[] = $r;

                return $this->chance(0.5) ? $r : ['vads_amount' => $r, 'restaurant' => $r];
        }
    }

    /** A small array: list or map, keys of every kind (non-UTF-8 included), any values, maybe references. */
    public function array(int $depth = 0): array
    {
        $a = [];
        for ($i = $this->int(0, 5); $i > 0; $i--) {
            $key = $this->pick([$this->int(-3, 10), 'vads_' . $this->pick(['amount', 'x', "\xff", 'site_id']),
                $this->pick(['restaurant', 'lines', 'sku', 'currency', 'shop_order_id', 'signature', "\xC9t\xE9", ''])]);
            $a[$key] = $this->any(false, $depth);
        }
        if ($a !== [] && $this->chance(0.2)) {
            // An element that is a PHP reference (IS_REFERENCE inside the array).
            $k = array_key_first($a);
            $ref = &$a[$k];
        }
        if ($this->chance(0.05)) {
            $a['self'] = &$a; // self-referencing array
        }

        return $a;
    }

    /** An array nested $n levels deep. */
    public function deep(int $n): array
    {
        $a = ['sku' => 'PIZZA-MARGHERITA'];
        for ($i = 0; $i < $n; $i++) {
            $a = ['lines' => [$a]];
        }

        return $a;
    }

    public function object(): object
    {
        switch ($this->int(0, 4)) {
            case 0:
                return new \stdClass();
            case 1:
                return new \ArrayObject(['restaurant' => 'BELLECOUR']);
            case 2:
                return new \DateTimeImmutable('@0');
            case 3:
                return static fn () => 1;
            default:
                return new class () {
                    public function __toString(): string
                    {
                        return 'BELLECOUR';
                    }
                };
        }
    }

    /**
     * $base with one part changed: a value (or a whole sub-array) replaced by any(), removed, or a string
     * replaced by a near-miss.
     */
    public function mutate(array $base): array
    {
        $paths = self::paths($base);
        $path = $this->pick($paths);
        $ref = &$base;
        foreach (array_slice($path, 0, -1) as $k) {
            $ref = &$ref[$k];
        }
        $last = end($path);
        switch ($this->int(0, 3)) {
            case 0:
                unset($ref[$last]);
                break;
            case 1:
                $ref[$last] = is_string($ref[$last]) ? $this->nearMiss($ref[$last]) : $this->any();
                break;
            default:
                $ref[$last] = $this->any();
        }
        unset($ref);

        return $base;
    }

    /** @return list<list<int|string>> every key path of $a (inner nodes included) */
    private static function paths(array $a, array $prefix = []): array
    {
        $out = [];
        foreach ($a as $k => $v) {
            $out[] = [...$prefix, $k];
            if (is_array($v)) {
                array_push($out, ...self::paths($v, [...$prefix, $k]));
            }
        }

        return $out;
    }
}
