<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Contract;

if (!defined('_PS_VERSION_')) {
    exit;
}


/** Another process held the lock for longer than the caller accepts to wait. */
class LockTimeout extends \RuntimeException
{
}
