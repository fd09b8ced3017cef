<?php
/**
 * STAND-IN, NOT PRESTASHOP: PrestaShop 8.2's Db API (the methods the OC Pizza module calls) over PDO on the real
 * local MariaDB, so that SQL written by the module really runs and GET_LOCK really locks across processes.
 */
class PrestaShopDatabaseException extends PrestaShopException
{
}

class Db
{
    public const INSERT = 1;
    public const INSERT_IGNORE = 2;
    public const REPLACE = 3;
    public const ON_DUPLICATE_KEY = 4;

    /** @var Db|null */
    private static $instance;
    /** @var string DSN parts set by the test bootstrap */
    public static $server = 'mysql:host=127.0.0.1;port=3306';
    public static $user = 'root';
    public static $password = '';
    public static $database = '';

    /** @var PDO */
    private $pdo;
    /** @var int */
    private $affected = 0;
    /** @var int */
    private $errno = 0;
    /** @var string */
    private $error = '';

    public static function getInstance($master = true)
    {
        if (self::$instance === null) {
            self::$instance = new self();
        }

        return self::$instance;
    }

    /** Stand-in only: forget the connection (tests that recreate the database). */
    public static function resetInstance(): void
    {
        self::$instance = null;
    }

    private function __construct()
    {
        $this->pdo = new PDO(self::$server . ';dbname=' . self::$database . ';charset=utf8mb4', self::$user, self::$password, [
            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_EMULATE_PREPARES => true,
        ]);
        $this->pdo->exec("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'");
    }

    /** Runs a statement; false on error (or PrestaShopDatabaseException when _PS_DEBUG_SQL_ is true, as in PS). */
    public function execute($sql, $use_cache = true)
    {
        try {
            $this->affected = (int) $this->pdo->exec((string) $sql);
            $this->errno = 0;

            return true;
        } catch (PDOException $e) {
            return $this->failed($e, $sql);
        }
    }

    public function executeS($sql, $array = true, $use_cache = true)
    {
        try {
            $stmt = $this->pdo->query((string) $sql);
            $this->errno = 0;

            return $stmt->fetchAll(PDO::FETCH_ASSOC);
        } catch (PDOException $e) {
            return $this->failed($e, $sql);
        }
    }

    public function getRow($sql, $use_cache = true)
    {
        $sql = rtrim((string) $sql, " \t\n\r;");
        if (!preg_match('/\s+LIMIT\s+\d+\s*$/i', $sql)) {
            $sql .= ' LIMIT 1'; // PrestaShop appends it too
        }
        $rows = $this->executeS($sql, true, $use_cache);

        return is_array($rows) && $rows !== [] ? $rows[0] : false;
    }

    public function getValue($sql, $use_cache = true)
    {
        $row = $this->getRow($sql, $use_cache);

        return is_array($row) ? reset($row) : false;
    }

    public function insert($table, $data, $null_values = false, $use_cache = true, $type = self::INSERT, $add_prefix = true)
    {
        if ($data === []) {
            return true;
        }
        if ($add_prefix) {
            $table = _DB_PREFIX_ . $table;
        }
        $rows = isset($data[0]) && is_array($data[0]) ? $data : [$data];
        $keys = array_keys($rows[0]);
        $values = [];
        foreach ($rows as $row) {
            $values[] = '(' . implode(', ', array_map(function ($v) use ($null_values) {
                if ($v === null && $null_values) {
                    return 'NULL';
                }

                return "'" . $this->escape((string) $v, true) . "'";
            }, array_values($row))) . ')';
        }
        $verb = $type === self::INSERT_IGNORE ? 'INSERT IGNORE' : ($type === self::REPLACE ? 'REPLACE' : 'INSERT');

        return $this->execute($verb . ' INTO `' . $table . '` (`' . implode('`, `', $keys) . '`) VALUES ' . implode(', ', $values));
    }

    public function update($table, $data, $where = '', $limit = 0, $null_values = false, $use_cache = true, $add_prefix = true)
    {
        $sets = [];
        foreach ($data as $k => $v) {
            $sets[] = '`' . $k . '` = ' . ($v === null && $null_values ? 'NULL' : "'" . $this->escape((string) $v, true) . "'");
        }
        $sql = 'UPDATE `' . ($add_prefix ? _DB_PREFIX_ : '') . $table . '` SET ' . implode(', ', $sets)
            . ($where !== '' ? ' WHERE ' . $where : '') . ($limit ? ' LIMIT ' . (int) $limit : '');

        return $this->execute($sql);
    }

    public function Insert_ID()
    {
        return (int) $this->pdo->lastInsertId();
    }

    public function Affected_Rows()
    {
        return $this->affected;
    }

    public function getNumberError()
    {
        return $this->errno;
    }

    public function getMsgError()
    {
        return $this->error;
    }

    public function escape($string, $html_ok = false, $bq_sql = false)
    {
        if (!$html_ok) {
            $string = strip_tags(Tools::nl2br((string) $string));
        }
        $quoted = substr($this->pdo->quote((string) $string), 1, -1);

        return $bq_sql ? str_replace('`', '\`', $quoted) : $quoted;
    }

    /** Stand-in only: the PDO connection, for test assertions. */
    public function pdo(): PDO
    {
        return $this->pdo;
    }

    private function failed(PDOException $e, $sql)
    {
        $this->errno = (int) ($e->errorInfo[1] ?? 0);
        $this->error = (string) ($e->errorInfo[2] ?? $e->getMessage());
        if (_PS_DEBUG_SQL_) {
            throw new PrestaShopDatabaseException($this->error . '<br /><br /><pre>' . $sql . '</pre>');
        }

        return false;
    }
}

function pSQL($string, $htmlOK = false)
{
    return Db::getInstance()->escape($string, $htmlOK);
}

function bqSQL($string)
{
    return str_replace('`', '\`', pSQL($string));
}
