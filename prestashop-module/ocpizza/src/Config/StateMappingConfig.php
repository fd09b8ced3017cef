<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Config;

if (!defined('_PS_VERSION_')) {
    exit;
}


/**
 * The merchant's mapping "PrestaShop order state id → OC Pizza status", stored as JSON and edited as lines
 * `<state id>=<status>`.
 */
final class StateMappingConfig
{
    /** The OC Pizza statuses a PrestaShop state may map to (received is set by recordOrder itself). */
    public const STATUSES = ['accepted', 'in_preparation', 'ready', 'out_for_delivery', 'delivered', 'picked_up', 'cancelled'];

    /** @var array<int, string> */
    private $map;

    /** @param array<int, string> $map */
    public function __construct(array $map)
    {
        $this->map = $map;
    }

    public static function fromJson(string $json): self
    {
        $decoded = json_decode($json, true);
        $map = [];
        if (is_array($decoded)) {
            foreach ($decoded as $id => $status) {
                if ((int) $id > 0 && in_array($status, self::STATUSES, true)) {
                    $map[(int) $id] = $status;
                }
            }
        }

        return new self($map);
    }

    /**
     * Parses the text of the configuration form.
     *
     * @param int[] $knownStateIds ids of the shop's order states
     *
     * @throws InvalidSetting naming the line at fault
     */
    public static function fromText(string $text, array $knownStateIds): self
    {
        $map = [];
        foreach (preg_split('/\R/', $text) as $n => $line) {
            $line = trim($line);
            if ($line === '') {
                continue;
            }
            if (preg_match('/^(\d+)\s*=\s*([a-z_]+)$/', $line, $m) !== 1) {
                throw new InvalidSetting(Keys::STATE_MAP, 'line_format', ['line' => $n + 1]);
            }
            $id = (int) $m[1];
            if (!in_array($id, $knownStateIds, true)) {
                throw new InvalidSetting(Keys::STATE_MAP, 'unknown_state', ['line' => $n + 1, 'value' => $m[1]]);
            }
            if (!in_array($m[2], self::STATUSES, true)) {
                throw new InvalidSetting(Keys::STATE_MAP, 'unknown_status', ['line' => $n + 1, 'value' => $m[2]]);
            }
            if (isset($map[$id])) {
                throw new InvalidSetting(Keys::STATE_MAP, 'duplicate_state', ['line' => $n + 1, 'value' => $m[1]]);
            }
            $map[$id] = $m[2];
        }

        return new self($map);
    }

    public function statusFor(int $stateId): ?string
    {
        return $this->map[$stateId] ?? null;
    }

    /** @return array<int, string> */
    public function all(): array
    {
        return $this->map;
    }

    public function toJson(): string
    {
        return (string) json_encode($this->map, JSON_FORCE_OBJECT);
    }

    public function toText(): string
    {
        $lines = [];
        foreach ($this->map as $id => $status) {
            $lines[] = $id . '=' . $status;
        }

        return implode("\n", $lines);
    }
}
