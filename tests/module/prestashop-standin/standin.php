<?php
/**
 * STAND-IN, NOT PRESTASHOP. PrestaShop itself is not part of this repository and cannot be installed here; these
 * classes reproduce the behaviour of PrestaShop's own code that the OC Pizza module relies on (behaviour only, no
 * code copied). Each class names the PrestaShop file and methods it reproduces. Sources read: PrestaShop 8.2.x
 * (arekszczerba/prestashop-starwoven), 9.1.3 (MGNBOX/PrestaShop), 9.2.1 (gRoussac/PrestaShop), the 1.7 line
 * (PrestaShop/PrestaShop, ijzershop/PrestaShop) — see Controller.php for the controller lifecycle and the
 * differences between versions (none in what the module uses, except validateOrder's die() in 8.x vs exception in
 * 9.x). _PS_VERSION_ defaults to 8.2.0; define it before requiring this file to run as another version.
 *
 * Usage: set Db::$database (and Db::$server/$user/$password) then require this file, or call StandInDatabase.
 */
if (!defined('_PS_VERSION_')) {
    define('_PS_VERSION_', '8.2.0');
}
define('_DB_PREFIX_', 'ps_');
define('_MYSQL_ENGINE_', 'InnoDB');
define('_PS_MODE_DEV_', true);
define('_PS_DEBUG_SQL_', false);
define('_COOKIE_KEY_', 'standin-cookie-key');
define('_PS_MODULE_DIR_', dirname(__DIR__, 3) . '/prestashop-module/');

require_once __DIR__ . '/ObjectModel.php';
require_once __DIR__ . '/Core.php';
require_once __DIR__ . '/Db.php';
require_once __DIR__ . '/Module.php';
require_once __DIR__ . '/Controller.php';
require_once __DIR__ . '/PaymentOption.php';

/** Creates, resets and drops the stand-in's database on the local MariaDB. */
final class StandInDatabase
{
    public static function server(): array
    {
        $url = getenv('OCPIZZA_TEST_DATABASE_SERVER') ?: 'mysql://root@127.0.0.1:3306';
        $p = parse_url($url);

        return [
            'dsn' => sprintf('mysql:host=%s;port=%d', $p['host'] ?? '127.0.0.1', (int) ($p['port'] ?? 3306)),
            'user' => rawurldecode($p['user'] ?? 'root'),
            'password' => rawurldecode($p['pass'] ?? ''),
        ];
    }

    /** Points Db at $name on the test server (child processes: the database their parent created). */
    public static function use(string $name): void
    {
        $s = self::server();
        Db::$server = $s['dsn'];
        Db::$user = $s['user'];
        Db::$password = $s['password'];
        Db::$database = $name;
        Db::resetInstance();
    }

    /** (Re)creates $name with the stand-in schema. */
    public static function create(string $name): void
    {
        $s = self::server();
        $pdo = new PDO($s['dsn'], $s['user'], $s['password'], [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
        $pdo->exec('DROP DATABASE IF EXISTS `' . $name . '`');
        $pdo->exec('CREATE DATABASE `' . $name . '` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
        $pdo->exec('USE `' . $name . '`');
        foreach (array_filter(array_map('trim', explode(";\n", (string) file_get_contents(__DIR__ . '/schema.sql')))) as $sql) {
            if (strpos(ltrim($sql), '--') === 0 && strpos($sql, "\n") === false) {
                continue;
            }
            $pdo->exec($sql);
        }
        self::use($name);
    }

    /** Empties $name and puts the seed rows back (much faster than create() between tests). */
    public static function reset(string $name): void
    {
        self::use($name);
        $pdo = Db::getInstance()->pdo();
        foreach ($pdo->query("SHOW TABLES LIKE 'ps\\_ocpizza\\_%'")->fetchAll(PDO::FETCH_COLUMN) as $table) {
            $pdo->exec('DROP TABLE `' . $table . '`'); // the module's own tables: install creates them
        }
        foreach ($pdo->query('SHOW TABLES')->fetchAll(PDO::FETCH_COLUMN) as $table) {
            $pdo->exec('DELETE FROM `' . $table . '`');
        }
        foreach (array_filter(array_map('trim', explode(";\n", (string) file_get_contents(__DIR__ . '/schema.sql')))) as $sql) {
            if (stripos($sql, 'INSERT INTO') !== false) {
                $pdo->exec(substr($sql, stripos($sql, 'INSERT INTO')));
            }
        }
    }

    public static function drop(string $name): void
    {
        $s = self::server();
        $pdo = new PDO($s['dsn'], $s['user'], $s['password'], [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
        $pdo->exec('DROP DATABASE IF EXISTS `' . $name . '`');
    }
}
