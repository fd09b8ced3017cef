<?php

declare(strict_types=1);

namespace OCPizza\Tests;

/**
 * A uniquely named database on the test server, migrated and seeded with the real bridge binary; dropped by
 * drop(). Server: OCPIZZA_TEST_DATABASE_SERVER (default mysql://root@127.0.0.1:3306); binary:
 * OCPIZZA_BRIDGE_BIN (default target/debug/ocpizza-bridge).
 */
final class TestDatabase
{
    /** @var string mysql://user[:pw]@host:port/name */
    public string $url;
    public string $name;
    private bool $dropped = false;

    private function __construct(string $name)
    {
        $this->name = $name;
        $this->url = rtrim(self::server(), '/') . '/' . $name;
    }

    public static function server(): string
    {
        return getenv('OCPIZZA_TEST_DATABASE_SERVER') ?: 'mysql://root@127.0.0.1:3306';
    }

    public static function bridgeBin(): string
    {
        return getenv('OCPIZZA_BRIDGE_BIN') ?: dirname(__DIR__, 3) . '/target/debug/ocpizza-bridge';
    }

    /** PDO on the server (no database selected), or on $database. */
    public static function pdo(?string $database = null): \PDO
    {
        $u = parse_url(self::server());
        if ($u === false || !isset($u['host'])) {
            throw new \RuntimeException('OCPIZZA_TEST_DATABASE_SERVER is not a mysql://user@host:port URL');
        }
        $dsn = sprintf('mysql:host=%s;port=%d;charset=utf8mb4', $u['host'], $u['port'] ?? 3306);
        if ($database !== null) {
            $dsn .= ';dbname=' . $database;
        }
        $pdo = new \PDO($dsn, rawurldecode($u['user'] ?? 'root'), rawurldecode($u['pass'] ?? ''), [
            \PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION,
        ]);
        $pdo->exec("SET time_zone = '+00:00'");

        return $pdo;
    }

    /** A new database, migrated, and seeded unless $seed is false. */
    public static function create(string $purpose, bool $seed = true): self
    {
        $name = sprintf('ocpizza_php_%s_%d_%s', preg_replace('/[^a-z0-9]/', '', $purpose), getmypid(), bin2hex(random_bytes(4)));
        self::pdo()->exec("CREATE DATABASE `$name` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
        $db = new self($name);
        try {
            $db->bridge('migrate');
            if ($seed) {
                $db->bridge('seed');
            }
        } catch (\Throwable $e) {
            $db->drop();
            throw $e;
        }

        return $db;
    }

    private function bridge(string $command): void
    {
        $bin = self::bridgeBin();
        if (!is_executable($bin)) {
            throw new \RuntimeException("ocpizza-bridge not found at $bin (cargo build --workspace, or set OCPIZZA_BRIDGE_BIN)");
        }
        $env = getenv();
        $env['OCPIZZA_DATABASE_URL'] = $this->url;
        $proc = proc_open([$bin, $command], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        if (!is_resource($proc)) {
            throw new \RuntimeException("cannot run $bin $command");
        }
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $status = proc_close($proc);
        if ($status !== 0) {
            throw new \RuntimeException("ocpizza-bridge $command failed ($status): $out");
        }
        if ($command === 'seed') {
            $n = (int) self::pdo($this->name)->query('SELECT COUNT(*) FROM restaurants')->fetchColumn();
            if ($n < 5) {
                throw new \RuntimeException("ocpizza-bridge seed left $n restaurants: $out");
            }
        }
    }

    public function drop(): void
    {
        if (!$this->dropped) {
            $this->dropped = true;
            self::pdo()->exec("DROP DATABASE IF EXISTS `{$this->name}`");
        }
    }

    public function __destruct()
    {
        $this->drop();
    }
}
