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
 * 1.2.0: refunds (issue 13). The "Partially refunded" order state and the module's side tables, among them the
 * back-office refunds' ledger ocpizza_refund (both created only
 * when missing), and the hooks of back-office refunds.
 * Called by PrestaShop's module upgrade (Module::runUpgradeModule) when the uploaded version is newer.
 *
 * @param Ocpizza $module
 */
function upgrade_module_1_2_0($module)
{
    return $module->installTables()
        && $module->installOrderStates()
        && $module->registerHook(Ocpizza::HOOKS);
}
