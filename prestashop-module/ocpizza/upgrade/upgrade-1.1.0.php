<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * 1.1.0: the ocpizza_refused table (shop orders OCPizza_DB refused, with the reason, listed on the status panel).
 * Called by PrestaShop's module upgrade (Module::runUpgradeModule) when the uploaded version is newer.
 *
 * @param Ocpizza $module
 */
function upgrade_module_1_1_0($module)
{
    return $module->installTables();
}
