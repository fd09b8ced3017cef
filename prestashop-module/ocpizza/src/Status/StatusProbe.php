<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Status;

if (!defined('_PS_VERSION_')) {
    exit;
}

use OCPizzaModule\Config\Settings;
use OCPizzaModule\Contract\ExtensionGateway;

/**
 * The configuration page's status panel: extension, OCPizza_DB, bridge, outbox. Every probe has a short timeout
 * and reports a failure as text (never a key, secret or password: only what failed).
 */
final class StatusProbe
{
    public const TIMEOUT_SECONDS = 2;

    /** @var Settings */ private $settings;
    /** @var ExtensionGateway */ private $gateway;

    public function __construct(Settings $settings, ExtensionGateway $gateway)
    {
        $this->settings = $settings;
        $this->gateway = $gateway;
    }

    /** @return array<string, array{ok: bool, detail: string}> extension, database, bridge, outbox */
    public function run(): array
    {
        $out = [];
        $out['extension'] = $this->gateway->isLoaded()
            ? ['ok' => true, 'detail' => 'ocpizza ' . (string) $this->gateway->version()]
            : ['ok' => false, 'detail' => 'not loaded'];
        $out += $this->database();
        $out['bridge'] = $this->bridge();

        return $out;
    }

    /** OCPizza_DB reachable, migrated (sqlx's _sqlx_migrations), outbox events not yet published. */
    private function database(): array
    {
        $url = $this->settings->databaseUrl();
        if ($url === '') {
            return ['database' => ['ok' => false, 'detail' => 'not configured'], 'outbox' => ['ok' => false, 'detail' => 'unknown']];
        }
        $p = parse_url($url);
        if (!is_array($p) || !extension_loaded('pdo_mysql')) {
            return ['database' => ['ok' => false, 'detail' => 'cannot be probed (URL or pdo_mysql)'], 'outbox' => ['ok' => false, 'detail' => 'unknown']];
        }
        $dsn = sprintf('mysql:host=%s;port=%d;dbname=%s;charset=utf8mb4', $p['host'] ?? '127.0.0.1', (int) ($p['port'] ?? 3306), ltrim((string) ($p['path'] ?? ''), '/'));
        try {
            $pdo = new \PDO($dsn, rawurldecode((string) ($p['user'] ?? '')), rawurldecode((string) ($p['pass'] ?? '')), [
                \PDO::ATTR_TIMEOUT => self::TIMEOUT_SECONDS,
                \PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION,
            ]);
            $migrations = (int) $pdo->query('SELECT COUNT(*) FROM _sqlx_migrations WHERE success = 1')->fetchColumn();
            $pending = (int) $pdo->query('SELECT COUNT(*) FROM outbox WHERE published_at IS NULL')->fetchColumn();
        } catch (\PDOException $e) {
            // The driver's message may repeat the user name; the SQLSTATE code alone is enough to diagnose.
            return ['database' => ['ok' => false, 'detail' => 'unreachable or not migrated (SQLSTATE ' . $e->getCode() . ')'], 'outbox' => ['ok' => false, 'detail' => 'unknown']];
        }

        return [
            'database' => ['ok' => $migrations > 0, 'detail' => $migrations . ' migration(s) applied'],
            'outbox' => ['ok' => true, 'detail' => $pending . ' event(s) pending'],
        ];
    }

    /** GET {bridge}/readyz: 2xx means the bridge can take events. */
    private function bridge(): array
    {
        $base = $this->settings->bridgeUrl();
        if ($base === '') {
            return ['ok' => false, 'detail' => 'not configured'];
        }
        if (!function_exists('curl_init')) {
            return ['ok' => false, 'detail' => 'cannot be probed (curl missing)'];
        }
        $ch = curl_init($base . '/readyz');
        curl_setopt_array($ch, [
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => self::TIMEOUT_SECONDS,
            CURLOPT_TIMEOUT => self::TIMEOUT_SECONDS,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
        ]);
        curl_exec($ch);
        $code = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $err = curl_errno($ch);
        curl_close($ch);
        if ($err !== 0) {
            return ['ok' => false, 'detail' => 'unreachable (curl error ' . $err . ')'];
        }

        return ['ok' => $code >= 200 && $code < 300, 'detail' => 'HTTP ' . $code];
    }
}
