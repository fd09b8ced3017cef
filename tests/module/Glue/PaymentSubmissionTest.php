<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Tests\GlueTestCase;
use PrestaShop\PrestaShop\Core\Payment\PaymentOption;

/**
 * Issue 14 item 5: the offline-payment validation and the card redirect act only on the payment step's POST with
 * the customer's token (a link or form on another site places no order), and re-check the restrictions the
 * payment options hook applies (PrestaShop's Hook::getHookModuleExecList: currency, country, groups, carrier).
 * Issue 14 item 1 (module boundary): values bound for ascii_bin columns are checked by the module, naming the field.
 */
final class PaymentSubmissionTest extends GlueTestCase
{
    private const ORDER_STEP = 'https://shop.test/index.php?controller=order&step=1';

    private function validation(array $get, array $post, string $method): ?string
    {
        return $this->runController('validation', $get, $post, $method)[1];
    }

    public function testTheOptionsPostTheMethodAndTheCustomersToken(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $options = $this->module->hookPaymentOptions(['cart' => $cart]);
        $token = \Tools::getToken(false);
        $this->assertSame([['type' => 'hidden', 'name' => 'token', 'value' => $token]], $options[0]->getInputs(), 'card');
        $this->assertSame([['type' => 'hidden', 'name' => 'method', 'value' => 'cash_on_delivery'], ['type' => 'hidden', 'name' => 'token', 'value' => $token]], $options[2]->getInputs());
    }

    public function testOnlyThePaymentStepsPostWithTheTokenPlacesAnOrder(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $token = \Tools::getToken(false);
        $this->assertSame(self::ORDER_STEP, $this->validation(['method' => 'cash_on_delivery', 'token' => $token], [], 'GET'), 'a link: GET, even with the token');
        $this->assertSame(self::ORDER_STEP, $this->validation([], ['method' => 'cash_on_delivery'], 'POST'), 'a form elsewhere: no token');
        $this->assertSame(self::ORDER_STEP, $this->validation([], ['method' => 'cash_on_delivery', 'token' => str_repeat('0', 32)], 'POST'), 'wrong token');
        $this->assertSame(self::ORDER_STEP, $this->validation([], ['method' => 'cash_on_delivery', 'token' => ['x']], 'POST'), 'token not a string');
        $this->assertSame(0, $this->orderCount((int) $cart->id), 'nothing sent to the kitchen');
        \Configuration::updateValue('PS_TOKEN_ENABLE', '0');
        $this->assertSame(self::ORDER_STEP, $this->validation([], ['method' => 'cash_on_delivery'], 'POST'), 'checked even when the shop turns PrestaShop\'s front token off');

        $redirect = $this->validation([], ['method' => 'cash_on_delivery', 'token' => $token], 'POST');
        $this->assertStringContainsString('controller=order-confirmation', (string) $redirect);
        $this->assertSame(1, $this->orderCount((int) $cart->id));
    }

    public function testTheCardRedirectNeedsThePostAndTheTokenToo(): void
    {
        $this->gateway->signer = static function () {
            return 'S';
        };
        $cart = $this->makeCart([1 => 1]);
        [, $redirect, $c] = $this->runController('redirect', ['token' => \Tools::getToken(false)], [], 'GET');
        $this->assertSame([self::ORDER_STEP, null], [$redirect, $c->template]);
        [, $redirect] = $this->runController('redirect', [], ['token' => 'nope'], 'POST');
        $this->assertSame(self::ORDER_STEP, $redirect);
        $this->assertSame(0, (int) \Db::getInstance()->getValue('SELECT COUNT(*) FROM ps_ocpizza_transaction WHERE id_cart = ' . (int) $cart->id, false), 'no transaction id allocated');
        [, $redirect, $c] = $this->runController('redirect', [], ['token' => \Tools::getToken(false)], 'POST');
        $this->assertSame([null, 'module:ocpizza/views/templates/front/redirect.tpl'], [$redirect, $c->template]);
    }

    /** @return array<string, array{0: string}> restriction table => the row that allows this cart */
    public function restrictionProvider(): array
    {
        return [
            'currency (module_currency)' => ['DELETE FROM ps_module_currency WHERE id_currency = 1'],
            'country (module_country)' => ['DELETE FROM ps_module_country WHERE id_country = 8'],
            'customer group (module_group)' => ['DELETE FROM ps_module_group WHERE id_group = 3'],
            'carrier (module_carrier)' => ['DELETE FROM ps_module_carrier WHERE id_reference = ' . self::CARRIER_DELIVERY],
        ];
    }

    /** @dataProvider restrictionProvider */
    public function testARestrictionOfThePaymentPreferencesIsRecheckedByTheControllers(string $untick): void
    {
        $cart = $this->makeCart([1 => 1]);
        $this->assertCount(3, $this->module->hookPaymentOptions(['cart' => $cart]), 'allowed before');
        \Db::getInstance()->execute($untick);
        $this->assertSame([], $this->module->hookPaymentOptions(['cart' => $cart]), 'the hook offers nothing');
        $token = \Tools::getToken(false);
        $this->assertSame(self::ORDER_STEP, $this->validation([], ['method' => 'cash_on_delivery', 'token' => $token], 'POST'));
        $this->assertSame(self::ORDER_STEP, $this->runController('redirect', [], ['token' => $token], 'POST')[1]);
        $this->assertSame(0, $this->orderCount((int) $cart->id));
    }

    /** Another customer group allowed instead: still refused (the customer is only in group 3). */
    public function testGroupsAreTheCustomersOwn(): void
    {
        $cart = $this->makeCart([1 => 1]);
        \Db::getInstance()->execute('DELETE FROM ps_module_group WHERE id_group = 3');
        \Db::getInstance()->insert('customer_group', ['id_customer' => 1, 'id_group' => 2]);
        $this->assertCount(3, $this->module->hookPaymentOptions(['cart' => $cart]), 'group 2 (Guest) is allowed and the customer is in it');
    }

    /**
     * A PrestaShop product reference that is not an OCPizza_DB SKU (non-ASCII, lower case) is refused by the module
     * itself with the field's name, before the extension: the order stays unlinked with the reason, never an
     * OCPizza_DB error, never retried by the cron.
     */
    public function testANonAsciiProductReferenceIsRefusedByTheModuleNamingTheField(): void
    {
        \Db::getInstance()->execute("UPDATE ps_product SET reference = 'PIZZA-RÉGINA' WHERE id_product = 2");
        $cart = $this->makeCart([1 => 1, 2 => 1]);
        $this->gateway->available['BELLECOUR'][] = 'PIZZA-RÉGINA'; // the order gets past the checkout's own check
        $this->runController('validation', [], ['method' => 'cash_on_delivery', 'token' => \Tools::getToken(false)], 'POST');
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertGreaterThan(0, $orderId);
        $this->assertNull($this->module->links()->find($orderId));
        $this->assertSame([], \OCPizzaModule\Tests\Support\JournalGateway::journalled('recordOrder'), 'the extension was not called');
        $refused = $this->module->links()->refused(5);
        $this->assertSame($orderId, $refused[0]['id_order']);
        $this->assertStringStartsWith('lines[1].sku: is not a product SKU (A-Z, 0-9, _ and -)', $refused[0]['reason']);
        $this->assertStringContainsString('PIZZA-RÉGINA', $refused[0]['reason']);
        $this->assertSame([], $this->module->links()->unrecorded('ocpizza', [], 20), 'not retried by the cron');
    }

    public function testAsciiFieldsRefuseNonAsciiOverLongEmptyAndControlCharacters(): void
    {
        foreach (['BELLÉCOUR', str_repeat('A', 17), '', "BELLE\nCOUR", 'bellecour'] as $bad) {
            try {
                \OCPizzaModule\Order\AsciiFields::restaurant($bad);
                $this->fail('accepted ' . json_encode($bad));
            } catch (\OCPizzaModule\Order\InvalidOrderField $e) {
                $this->assertSame('restaurant', $e->field);
                $this->assertStringStartsWith('restaurant: is not a restaurant code', $e->getMessage());
                $this->assertStringNotContainsString("\n", $e->getMessage());
            }
        }
        foreach (['EURO', 'eu', '€UR', ''] as $bad) {
            try {
                \OCPizzaModule\Order\AsciiFields::payment(['currency' => $bad, 'transaction_key' => 'k']);
                $this->fail('accepted currency ' . json_encode($bad));
            } catch (\OCPizzaModule\Order\InvalidOrderField $e) {
                $this->assertSame('currency', $e->field);
            }
        }
        \OCPizzaModule\Order\AsciiFields::restaurant('CROIX-ROUSSE');
        \OCPizzaModule\Order\AsciiFields::payment(['currency' => 'EUR', 'transaction_key' => 'sc:12345678:uabc:DEBIT:1:paid']);
        $this->addToAssertionCount(1);
    }
}
