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


use OCPizzaModule\Contract\ConfigReader;

/**
 * Validates the configuration form. Every field is checked (all errors are reported at once); a key field left
 * empty keeps the stored key, since keys are never echoed back into the form.
 */
final class SettingsValidator
{
    /**
     * @param array<string, string> $submitted configuration key => submitted text
     * @param int[] $knownStateIds
     * @param int[] $knownCarrierIds
     *
     * @return array{0: array<string, string>, 1: InvalidSetting[]} values to store, errors
     */
    public function validate(array $submitted, ConfigReader $current, array $knownStateIds, array $knownCarrierIds): array
    {
        $values = [];
        $errors = [];
        $text = static function (string $key) use ($submitted): string {
            return trim((string) ($submitted[$key] ?? ''));
        };

        $site = $text(Keys::SITE_ID);
        if (preg_match('/^\d{8}$/', $site) !== 1) {
            $errors[] = new InvalidSetting(Keys::SITE_ID, 'site_id');
        } else {
            $values[Keys::SITE_ID] = $site;
        }

        $mode = $text(Keys::MODE);
        if (!in_array($mode, ['TEST', 'PRODUCTION'], true)) {
            $errors[] = new InvalidSetting(Keys::MODE, 'mode');
        } else {
            $values[Keys::MODE] = $mode;
        }

        foreach ([Keys::KEY_TEST, Keys::KEY_PRODUCTION] as $k) {
            $key = $text($k);
            if ($key === '') {
                continue; // keep the stored one
            }
            if (preg_match('/^[\x21-\x7e]{8,128}$/', $key) !== 1) {
                $errors[] = new InvalidSetting($k, 'key_format');
            } else {
                $values[$k] = $key;
            }
        }
        // Required for the chosen mode: submitted now (even if malformed, reported above) or stored before.
        $required = $mode === 'PRODUCTION' ? Keys::KEY_PRODUCTION : Keys::KEY_TEST;
        if ($text($required) === '' && trim((string) $current->get($required)) === '') {
            $errors[] = new InvalidSetting($required, 'key_required');
        }

        $alg = $text(Keys::ALGORITHM);
        if (!in_array($alg, ['HMAC-SHA-256', 'SHA-1'], true)) {
            $errors[] = new InvalidSetting(Keys::ALGORITHM, 'algorithm');
        } else {
            $values[Keys::ALGORITHM] = $alg;
        }

        $gateway = $text(Keys::GATEWAY_URL);
        if ($gateway === '') {
            $gateway = Keys::DEFAULT_GATEWAY_URL;
        }
        if (!self::isUrl($gateway, ['https'])) {
            $errors[] = new InvalidSetting(Keys::GATEWAY_URL, 'https_url');
        } else {
            $values[Keys::GATEWAY_URL] = $gateway;
        }

        $rest = $text(Keys::REST_URL);
        if ($rest === '') {
            $rest = Keys::DEFAULT_REST_URL;
        }
        if (!self::isUrl($rest, ['https'])) {
            $errors[] = new InvalidSetting(Keys::REST_URL, 'rest_url');
        } else {
            $values[Keys::REST_URL] = $rest;
        }
        // Optional (card payments work without them; refunds from the back office and REST notifications do not).
        // The gateway's REST passwords carry their mode as a prefix: a swapped pair is refused here, not at the
        // first refund.
        foreach ([Keys::REST_PASSWORD_TEST => 'testpassword_', Keys::REST_PASSWORD_PRODUCTION => 'prodpassword_'] as $k => $prefix) {
            $password = $text($k);
            if ($password === '') {
                continue; // keep the stored one
            }
            if (preg_match('/^[\x21-\x7e]{8,128}$/', $password) !== 1) {
                $errors[] = new InvalidSetting($k, 'rest_password_format');
            } elseif (strpos($password, $prefix) !== 0) {
                $errors[] = new InvalidSetting($k, 'rest_password_mode');
            } else {
                $values[$k] = $password;
            }
        }

        $db = $text(Keys::DB_URL);
        if ($db === '') {
            if ((string) $current->get(Keys::DB_URL) === '') {
                $errors[] = new InvalidSetting(Keys::DB_URL, 'db_url');
            }
        } elseif (!self::isDatabaseUrl($db)) {
            $errors[] = new InvalidSetting(Keys::DB_URL, 'db_url');
        } else {
            $values[Keys::DB_URL] = $db;
        }

        $bridge = rtrim($text(Keys::BRIDGE_URL), '/');
        if ($bridge !== '' && !self::isUrl($bridge, ['http', 'https'])) {
            $errors[] = new InvalidSetting(Keys::BRIDGE_URL, 'http_url');
        } else {
            $values[Keys::BRIDGE_URL] = $bridge;
        }

        $secret = $text(Keys::WEBHOOK_SECRET);
        if ($secret !== '') {
            if (!self::isWebhookSecret($secret)) {
                $errors[] = new InvalidSetting(Keys::WEBHOOK_SECRET, 'whsec');
            } else {
                $values[Keys::WEBHOOK_SECRET] = $secret;
            }
        }
        if ($bridge !== '' && $secret === '' && (string) $current->get(Keys::WEBHOOK_SECRET) === '') {
            $errors[] = new InvalidSetting(Keys::WEBHOOK_SECRET, 'whsec_required');
        }

        try {
            $values[Keys::STATE_MAP] = StateMappingConfig::fromText($text(Keys::STATE_MAP), $knownStateIds)->toJson();
        } catch (InvalidSetting $e) {
            $errors[] = $e;
        }

        try {
            $values[Keys::PICKUP_CARRIERS] = self::pickupCarriers($text(Keys::PICKUP_CARRIERS), $knownCarrierIds);
        } catch (InvalidSetting $e) {
            $errors[] = $e;
        }

        return [$errors === [] ? $values : [], $errors];
    }

    public static function isUrl(string $url, array $schemes): bool
    {
        if (strlen($url) > 512 || preg_match('/[\s<>"]/', $url) === 1) {
            return false;
        }
        $parts = parse_url($url);

        return is_array($parts)
            && in_array(strtolower($parts['scheme'] ?? ''), $schemes, true)
            && ($parts['host'] ?? '') !== ''
            && !isset($parts['user']) && !isset($parts['fragment']);
    }

    /** mysql://user[:password]@host[:port]/database, as the extension's Store expects. */
    public static function isDatabaseUrl(string $url): bool
    {
        $parts = parse_url($url);

        return is_array($parts)
            && in_array($parts['scheme'] ?? '', ['mysql', 'mariadb'], true)
            && ($parts['host'] ?? '') !== ''
            && preg_match('#^/[A-Za-z0-9_$-]{1,64}$#', $parts['path'] ?? '') === 1;
    }

    /**
     * Standard Webhooks secret: `whsec_` then the Base64 of a non-empty key, `=` padding optional — what the extension
     * and the bridge accept, as the reference libraries do (a peer's unpadded 23-byte secret must work); characters
     * outside Base64 (PHP's strict base64_decode() still skips spaces) and impossible lengths are refused. 24 to 64
     * random bytes is only the advice for a new secret.
     */
    public static function isWebhookSecret(string $secret): bool
    {
        $b64 = (string) substr($secret, 6);
        if (strpos($secret, 'whsec_') !== 0 || preg_match('~^[A-Za-z0-9+/]*={0,2}$~D', $b64) !== 1) {
            return false;
        }
        $raw = base64_decode($b64, true);

        return $raw !== false && $raw !== '';
    }

    /** Lines `<carrier id>=<RESTAURANT CODE>` → JSON. */
    private static function pickupCarriers(string $text, array $knownCarrierIds): string
    {
        $map = [];
        foreach (preg_split('/\R/', $text) as $n => $line) {
            $line = trim($line);
            if ($line === '') {
                continue;
            }
            if (preg_match('/^(\d+)\s*=\s*([A-Z0-9][A-Z0-9-]{1,15})$/', $line, $m) !== 1) {
                throw new InvalidSetting(Keys::PICKUP_CARRIERS, 'line_format', ['line' => $n + 1]);
            }
            if (!in_array((int) $m[1], $knownCarrierIds, true)) {
                throw new InvalidSetting(Keys::PICKUP_CARRIERS, 'unknown_carrier', ['line' => $n + 1, 'value' => $m[1]]);
            }
            $map[(int) $m[1]] = $m[2];
        }

        return (string) json_encode($map, JSON_FORCE_OBJECT);
    }
}
