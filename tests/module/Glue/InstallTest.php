<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Tests\GlueTestCase;

/** Install and uninstall against the PrestaShop stand-in. */
final class InstallTest extends GlueTestCase
{
    public function testInstallCreatesStatesConfigTablesAndHooks(): void
    {
        $names = [];
        foreach ([Keys::OS_PENDING, Keys::OS_TO_VALIDATE, Keys::OS_AWAITING_OFFLINE, Keys::OS_PREPARING, Keys::OS_READY, Keys::OS_DELIVERING] as $key) {
            $id = (int) \Configuration::get($key);
            $state = new \OrderState($id);
            $this->assertTrue(\Validate::isLoadedObject($state), $key);
            $this->assertSame('ocpizza', $state->module_name);
            $names[] = $state->name[1];
            $this->assertFalse((bool) $state->paid, $key . ' is not a paid state');
            if (in_array($key, [Keys::OS_PENDING, Keys::OS_TO_VALIDATE, Keys::OS_AWAITING_OFFLINE], true)) {
                $this->assertFalse((bool) $state->logable, $key . ': waiting states are not logable');
            }
        }
        $this->assertContains('En préparation', $names);
        $this->assertContains('Prête', $names);
        $this->assertContains('En livraison', $names);
        $this->assertSame('Being prepared', (new \OrderState((int) \Configuration::get(Keys::OS_PREPARING)))->name[2]);

        $partial = new \OrderState((int) \Configuration::get(Keys::OS_PARTIALLY_REFUNDED));
        $this->assertSame('Remboursement partiel', $partial->name[1]);
        $this->assertTrue((bool) $partial->paid, 'part of the money is still paid');
        foreach (\Ocpizza::HOOKS as $hook) {
            $this->assertTrue($this->module->isRegisteredInHook($hook), $hook);
            $this->assertTrue(method_exists($this->module, 'hook' . ucfirst($hook)), $hook);
        }
        $this->assertSame('HMAC-SHA-256', \Configuration::get(Keys::ALGORITHM));
        $this->assertSame(Keys::DEFAULT_GATEWAY_URL, \Configuration::get(Keys::GATEWAY_URL));
        $this->assertMatchesRegularExpression('/^[0-9a-f]{48}$/', (string) \Configuration::get(Keys::CRON_TOKEN));
        $map = json_decode((string) \Configuration::get(Keys::STATE_MAP), true);
        $this->assertSame('accepted', $map[2]);
        $this->assertSame('in_preparation', $map[(int) \Configuration::get(Keys::OS_PREPARING)]);
        $this->assertSame('delivered', $map[5]);
        $tables = array_column(\Db::getInstance()->executeS("SHOW TABLES LIKE 'ps_ocpizza_%'"), null);
        $this->assertCount(5, $tables, 'ocpizza_transaction, ocpizza_cart, ocpizza_order, ocpizza_refused, ocpizza_refund');
        // The 1.1.0 upgrade (PrestaShop runs upgrade/upgrade-1.1.0.php on a 1.0.0 install) creates the new table.
        \Db::getInstance()->execute('DROP TABLE ps_ocpizza_refused');
        require_once OCPIZZA_MODULE_DIR . '/upgrade/upgrade-1.1.0.php';
        $this->assertTrue(upgrade_module_1_1_0($this->module));
        $this->assertCount(5, array_column(\Db::getInstance()->executeS("SHOW TABLES LIKE 'ps_ocpizza_%'"), null));
        $this->assertSame(2, count($this->module->getCurrency(1)), 'every currency allowed');
    }

    /** 1.2.0 on a 1.1.0 install: the "Partially refunded" state and the hooks of refunds appear, nothing else moves. */
    public function testUpgradeTo120AddsTheRefundStateAndHooks(): void
    {
        $preparing = (int) \Configuration::get(Keys::OS_PREPARING);
        \Configuration::deleteByName(Keys::OS_PARTIALLY_REFUNDED);
        \Db::getInstance()->execute('DROP TABLE ps_ocpizza_refund');
        $count = (int) \Db::getInstance()->getValue('SELECT COUNT(*) FROM ps_order_state', false);
        require_once OCPIZZA_MODULE_DIR . '/upgrade/upgrade-1.2.0.php';
        $this->assertTrue(upgrade_module_1_2_0($this->module));
        $this->assertSame($count + 1, (int) \Db::getInstance()->getValue('SELECT COUNT(*) FROM ps_order_state', false));
        $this->assertTrue(\Validate::isLoadedObject(new \OrderState((int) \Configuration::get(Keys::OS_PARTIALLY_REFUNDED))));
        $this->assertSame($preparing, (int) \Configuration::get(Keys::OS_PREPARING));
        $this->assertCount(1, \Db::getInstance()->executeS("SHOW TABLES LIKE 'ps_ocpizza_refund'"), 'the back-office refunds\' ledger');
        foreach (\Ocpizza::HOOKS as $hook) {
            $this->assertTrue($this->module->isRegisteredInHook($hook), $hook);
        }
        $this->assertTrue(upgrade_module_1_2_0($this->module), 'twice is harmless');
        $this->assertSame($count + 1, (int) \Db::getInstance()->getValue('SELECT COUNT(*) FROM ps_order_state', false));
    }

    public function testReinstallReusesStatesAndUninstallKeepsThem(): void
    {
        $before = (int) \Configuration::get(Keys::OS_PREPARING);
        $count = (int) \Db::getInstance()->getValue('SELECT COUNT(*) FROM ps_order_state', false);
        $this->assertTrue($this->module->uninstall());
        $this->assertFalse(\Configuration::get(Keys::SITE_ID), 'settings removed');
        $this->assertFalse(\Configuration::get(Keys::KEY_TEST), 'keys removed');
        $this->assertSame($before, (int) \Configuration::get(Keys::OS_PREPARING), 'state ids kept with the states');
        $this->assertSame($count, (int) \Db::getInstance()->getValue('SELECT COUNT(*) FROM ps_order_state', false), 'states kept (orders use them)');
        $this->assertSame([], \Db::getInstance()->executeS("SHOW TABLES LIKE 'ps_ocpizza_%'"));

        \Module::resetInstances();
        $again = \Module::getInstanceByName('ocpizza');
        $this->assertTrue($again->install());
        $this->assertSame($before, (int) \Configuration::get(Keys::OS_PREPARING));
        $this->assertSame($count, (int) \Db::getInstance()->getValue('SELECT COUNT(*) FROM ps_order_state', false), 'no duplicate states');
    }

    public function testAStateDeletedByTheMerchantIsRecreated(): void
    {
        $id = (int) \Configuration::get(Keys::OS_READY);
        \Db::getInstance()->execute('UPDATE ps_order_state SET deleted = 1 WHERE id_order_state = ' . $id);
        $this->assertTrue($this->module->installOrderStates());
        $this->assertNotSame($id, (int) \Configuration::get(Keys::OS_READY));
    }

    public function testConstructorMetadata(): void
    {
        $this->assertSame(['ocpizza', 'payments_gateways'], [$this->module->name, $this->module->tab]);
        $this->assertSame(['min' => '8.1.0', 'max' => '9.99.99'], $this->module->ps_versions_compliancy);
        $this->assertSame('Paiements OC Pizza', $this->module->displayName, 'French by default (context language fr)');
        if (!extension_loaded('ocpizza')) {
            $this->assertNotEmpty($this->module->warning, 'warns when the extension is missing');
        }
    }
}
