<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Shop;

if (!defined('_PS_VERSION_')) {
    exit;
}

use OCPizzaModule\Contract\Lock;
use OCPizzaModule\Contract\LockTimeout;

/**
 * Lock shared by every PHP worker of the shop: MySQL/MariaDB GET_LOCK on PrestaShop's own connection. The lock is
 * tied to that connection, so a crashed worker releases it automatically.
 */
final class DbNamedLock implements Lock
{
    /** @var \Db */
    private $db;

    public function __construct(\Db $db)
    {
        $this->db = $db;
    }

    public function synchronized(string $name, int $timeoutSeconds, callable $work)
    {
        // Names are built by the module from integers; pSQL is belt and braces. MySQL limits names to 64 chars.
        $lockName = pSQL(substr(_DB_PREFIX_ . $name, 0, 64));
        $got = $this->db->getValue('SELECT GET_LOCK(\'' . $lockName . '\', ' . (int) $timeoutSeconds . ')', false);
        if ((string) $got !== '1') {
            throw new LockTimeout('lock ' . $name . ' not obtained within ' . (int) $timeoutSeconds . ' s');
        }
        try {
            return $work();
        } finally {
            $this->db->getValue('SELECT RELEASE_LOCK(\'' . $lockName . '\')', false);
        }
    }
}
