<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Tests\GlueTestCase;
use PrestaShop\PrestaShop\Core\Payment\PaymentOption;

/** Payment step, hosted-form redirect and customer return, against the PrestaShop stand-in. */
final class CheckoutTest extends GlueTestCase
{
    /** @return PaymentOption[] */
    private function options(\Cart $cart): array
    {
        return $this->module->hookPaymentOptions(['cart' => $cart]);
    }

    private function addressIn(string $postcode): int
    {
        \Db::getInstance()->insert('address', ['id_customer' => 1, 'address1' => '5 rue Dumenge', 'postcode' => $postcode, 'city' => 'Lyon', 'id_country' => 8]);

        return \Db::getInstance()->Insert_ID();
    }

    public function testDeliveryAndTakeawayOptions(): void
    {
        $delivery = $this->options($this->makeCart([1 => 1]));
        $this->assertSame([
            'Payer par carte maintenant (page sécurisée SogeCommerce)',
            'Payer par carte à la livraison',
            'Payer en espèces à la livraison',
        ], array_map(static function (PaymentOption $o) { return $o->getCallToActionText(); }, $delivery));
        $this->assertSame('https://shop.test/index.php?fc=module&module=ocpizza&controller=redirect', $delivery[0]->getAction());
        $this->assertStringContainsString('controller=validation&method=cash_on_delivery', $delivery[2]->getAction());

        $takeaway = $this->options($this->makeCart([1 => 1], self::CARRIER_PICKUP_BELLECOUR));
        $this->assertCount(2, $takeaway);
        $this->assertStringContainsString('method=at_restaurant', $takeaway[1]->getAction());
    }

    public function testNoOptionsWithoutTheExtensionOrWithoutCardSettings(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $this->gateway->loaded = false;
        $this->assertSame([], $this->options($cart));
        $this->gateway->loaded = true;
        \Configuration::updateValue(Keys::SITE_ID, '');
        $this->assertCount(2, $this->options($cart), 'card hidden until configured; offline methods remain');
    }

    public function testAPizzaTheRestaurantCannotMakeBlocksPaymentAndIsNamed(): void
    {
        $cart = $this->makeCart([2 => 1, 3 => 1], self::CARRIER_DELIVERY, $this->addressIn('69004')); // Reine at Croix-Rousse
        $options = $this->options($cart);
        $this->assertCount(1, $options);
        $this->assertSame('Votre commande ne peut pas encore être payée', $options[0]->getCallToActionText());
        $this->assertStringContainsString('controller=cart', $options[0]->getAction());
        $this->assertSame(['« Pizza Reine » ne peut pas être préparée par OC Pizza Croix-Rousse pour le moment (ingrédients épuisés). Retirez-la de votre panier pour commander.'],
            \Context::getContext()->smarty->getTemplateVars('ocpizza_problems'));

        // The redirect refuses it too (a customer posting the form directly).
        [, $redirect, $c] = $this->runController('redirect', [], ['token' => \Tools::getToken(false)], 'POST');
        $this->assertNull($redirect);
        $this->assertSame('module:ocpizza/views/templates/front/unavailable.tpl', $c->template);
    }

    public function testUnknownPostcodeAndStoreDown(): void
    {
        $this->options($this->makeCart([1 => 1], self::CARRIER_DELIVERY, 2));
        $this->assertSame(['Aucun de nos restaurants ne livre encore le code postal 75001. Choisissez le retrait dans un restaurant.'], \Context::getContext()->smarty->getTemplateVars('ocpizza_problems'));
        $this->gateway->failAlways['restaurants'] = new \OCPizza\DbException('OCPizza_DB: connection refused');
        $this->options($this->makeCart([1 => 1]));
        $this->assertSame(['La commande en ligne est momentanément indisponible. Réessayez dans quelques minutes.'], \Context::getContext()->smarty->getTemplateVars('ocpizza_problems'));
    }

    public function testRedirectBuildsTheSignedHostedForm(): void
    {
        $signed = null;
        $this->gateway->signer = static function (array $fields, string $key, string $alg) use (&$signed) {
            $signed = [$fields, $key, $alg];

            return 'SIGNED-BY-DOUBLE';
        };
        $cart = $this->makeCart([1 => 2, 3 => 1]);
        [, $redirect, $c] = $this->runController('redirect', [], ['token' => \Tools::getToken(false)], 'POST');
        $this->assertNull($redirect);
        $this->assertSame('module:ocpizza/views/templates/front/redirect.tpl', $c->template);
        $vars = \Context::getContext()->smarty->getTemplateVars();
        $this->assertSame(Keys::DEFAULT_GATEWAY_URL, $vars['ocpizza_action']);
        $f = $vars['ocpizza_fields'];
        $this->assertSame('SIGNED-BY-DOUBLE', $f['signature']);
        $this->assertSame([self::TEST_KEY, 'HMAC-SHA-256'], [$signed[1], $signed[2]]);
        unset($f['signature']);
        $this->assertSame($signed[0], $f, 'signed exactly what is posted');
        $this->assertSame(['2800', '978', (string) $cart->id, 'TEST', self::SITE_ID], [$f['vads_amount'], $f['vads_currency'], $f['vads_order_id'], $f['vads_ctx_mode'], $f['vads_site_id']]);
        $this->assertSame('https://shop.test/index.php?fc=module&module=ocpizza&controller=ipn', $f['vads_url_check']);
        $this->assertSame('https://shop.test/index.php?fc=module&module=ocpizza&controller=return&id_cart=' . $cart->id . '&key=' . str_repeat('a', 32), $f['vads_url_return']);
        $this->assertSame($f['vads_trans_id'], (string) \Db::getInstance()->getValue('SELECT trans_id FROM ps_ocpizza_transaction WHERE id_cart = ' . (int) $cart->id, false));
        $this->assertSame('card_online', $this->module->links()->paymentMethod((int) $cart->id));
        $this->assertSame(0, $this->orderCount((int) $cart->id), 'no order before the gateway reports the payment');

        // A second visit (back button) gets a new transaction id.
        $this->runController('redirect', [], ['token' => \Tools::getToken(false)], 'POST');
        $this->assertNotSame($f['vads_trans_id'], \Context::getContext()->smarty->getTemplateVars('ocpizza_fields')['vads_trans_id']);
    }

    public function testRedirectWithTheRealExtension(): void
    {
        self::requireExtension();
        $cart = $this->makeCart([1 => 1]);
        $this->runController('redirect', [], ['token' => \Tools::getToken(false)], 'POST');
        $fields = \Context::getContext()->smarty->getTemplateVars('ocpizza_fields');
        $this->assertTrue(\OCPizza\SogeCommerce::verify($fields, self::TEST_KEY, 'HMAC-SHA-256'));
        $this->assertSame('1400', $fields['vads_amount']);
    }

    public function testZeroDecimalCurrencyGoesInYen(): void
    {
        $this->gateway->signer = static function () {
            return 'S';
        };
        $this->makeCart([1 => 1], self::CARRIER_DELIVERY, 1, 0.0, [], 2);
        \Db::getInstance()->execute('UPDATE ps_product SET price_wt = 1250 WHERE id_product = 1');
        $this->runController('redirect', [], ['token' => \Tools::getToken(false)], 'POST');
        $f = \Context::getContext()->smarty->getTemplateVars('ocpizza_fields');
        $this->assertSame(['1250', '392'], [$f['vads_amount'], $f['vads_currency']]);
    }

    public function testReturnWhenTheIpnAlreadyCreatedTheOrder(): void
    {
        $this->useParserDouble();
        $cart = $this->makeCart([1 => 1]);
        $this->runController('ipn', [], self::notificationFields($cart, 'AUTHORISED'), 'POST');
        [, $redirect] = $this->runController('return', ['id_cart' => (string) $cart->id, 'key' => $cart->secure_key]);
        $orderId = (int) \Order::getIdByCartId((int) $cart->id);
        $this->assertSame('https://shop.test/index.php?controller=order-confirmation&id_cart=' . $cart->id . '&id_module=' . $this->module->id . '&id_order=' . $orderId . '&key=' . $cart->secure_key, $redirect);
    }

    public function testReturnBeforeTheIpnCreatesTheOrderFromTheSignedReturn(): void
    {
        $this->useParserDouble();
        $cart = $this->makeCart([1 => 1]);
        // A backslash and quotes in a signed value: read as sent (Tools::getAllValues), not stripslashes'd.
        $fields = self::notificationFields($cart, 'AUTHORISED', ['vads_cust_address' => 'a\\b "c"']);
        unset($fields['vads_url_check_src'], $fields['vads_hash']);
        $seen = null;
        $parser = $this->gateway->parser;
        $this->gateway->parser = static function (array $post, ...$rest) use ($parser, &$seen) {
            $seen = $post;

            return $parser($post, ...$rest);
        };
        [, $redirect] = $this->runController('return', $fields + ['id_cart' => (string) $cart->id, 'key' => $cart->secure_key]);
        $this->assertStringContainsString('controller=order-confirmation', (string) $redirect);
        $this->assertSame($fields, $seen, 'exactly the gateway\'s fields, values untouched (no id_cart, key, fc…)');
        $this->assertSame(1, $this->orderCount((int) $cart->id));
        // The IPN then arrives: same order, nothing new.
        [$body] = $this->runController('ipn', [], self::notificationFields($cart, 'AUTHORISED'), 'POST');
        $this->assertSame('OK-Already registered', $body);
        $this->assertSame(1, $this->orderCount((int) $cart->id));
    }

    public function returnWithoutOrderProvider(): array
    {
        return [
            'no payload (return mode NONE, IPN late)' => [null, 'processing'],
            'unverifiable payload' => [['signature' => 'forged'], 'processing'],
            'verified refusal' => [['vads_trans_status' => 'REFUSED'], 'not_paid'],
            'verified cancellation' => [['vads_trans_status' => 'ABANDONED'], 'not_paid'],
        ];
    }

    /** @dataProvider returnWithoutOrderProvider */
    public function testReturnWithoutOrderNeverSaysFailedForAnAcceptedPayment(?array $over, string $state): void
    {
        $this->useParserDouble();
        $cart = $this->makeCart([1 => 1]);
        $get = ['id_cart' => (string) $cart->id, 'key' => $cart->secure_key];
        if ($over !== null) {
            $fields = self::notificationFields($cart, 'AUTHORISED', $over);
            unset($fields['vads_url_check_src'], $fields['vads_hash']);
            $get += $fields;
        }
        [, $redirect, $c] = $this->runController('return', $get);
        $this->assertNull($redirect);
        $this->assertSame('module:ocpizza/views/templates/front/return.tpl', $c->template);
        $this->assertSame($state, \Context::getContext()->smarty->getTemplateVars('ocpizza_state'));
        $this->assertSame(0, $this->orderCount((int) $cart->id));
    }

    public function testReturnWithAnotherCustomersKeyShowsNothing(): void
    {
        $cart = $this->makeCart([1 => 1]);
        [, $redirect] = $this->runController('return', ['id_cart' => (string) $cart->id, 'key' => str_repeat('b', 32)]);
        $this->assertSame('https://shop.test/index.php?controller=index', $redirect);
    }

    public function testPaymentReturnHook(): void
    {
        $cart = $this->makeCart([1 => 1]);
        $this->runController('validation', [], ['method' => 'cash_on_delivery', 'token' => \Tools::getToken(false)], 'POST');
        $order = new \Order((int) \Order::getIdByCartId((int) $cart->id));
        $html = $this->module->hookDisplayPaymentReturn(['order' => $order]);
        $this->assertStringContainsString('payment_return.tpl', $html);
        $this->assertSame($order->reference, \Context::getContext()->smarty->getTemplateVars('ocpizza_reference'));
        $this->assertTrue(\Context::getContext()->smarty->getTemplateVars('ocpizza_awaiting_payment'));
    }
}
