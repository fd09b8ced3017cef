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

use OCPizzaModule\Contract\Logger;

/** Logger into PrestaShop's log (Advanced Parameters > Logs). Callers pass identifiers only, never secrets. */
final class PrestaShopLog implements Logger
{
    public function info(string $message): void
    {
        $this->add(1, $message);
    }

    public function warning(string $message): void
    {
        $this->add(2, $message);
    }

    public function error(string $message): void
    {
        $this->add(3, $message);
    }

    private function add(int $severity, string $message): void
    {
        \PrestaShopLogger::addLog('ocpizza: ' . mb_substr($message, 0, 500), $severity, null, 'Module', 0, true);
    }
}
