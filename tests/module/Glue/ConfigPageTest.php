<?php

namespace OCPizzaModule\Tests\Glue;

use OCPizzaModule\Config\Keys;
use OCPizzaModule\Tests\GlueTestCase;

/** The back-office configuration page (HelperForm) and its status panel. */
final class ConfigPageTest extends GlueTestCase
{
    /** @return array what the stand-in HelperForm sent to the browser */
    private static function formValues(string $html): array
    {
        preg_match('/data-standin="([^"]*)"/', $html, $m);

        return json_decode(html_entity_decode($m[1], ENT_QUOTES), true);
    }

    private function submit(array $values): string
    {
        $_POST = $values + [
            'submitOcpizza' => '1', Keys::SITE_ID => '87654321', Keys::MODE => 'TEST', Keys::ALGORITHM => 'SHA-1',
            Keys::GATEWAY_URL => '', Keys::BRIDGE_URL => 'http://127.0.0.1:9', Keys::STATE_MAP => "2=accepted\n5=delivered",
            Keys::PICKUP_CARRIERS => '2=BELLECOUR',
        ];

        return $this->module->getContent();
    }

    public function testPageShowsIpnUrlStatusAndNeverEchoesSecrets(): void
    {
        $html = $this->module->getContent();
        $vars = \Context::getContext()->smarty->getTemplateVars();
        $this->assertSame('https://shop.test/index.php?fc=module&module=ocpizza&controller=ipn', $vars['ocpizza_ipn_url']);
        $this->assertStringContainsString('controller=cron&token=' . \Configuration::get(Keys::CRON_TOKEN), $vars['ocpizza_cron_url']);
        $status = array_column($vars['ocpizza_status'], null, 'name');
        $this->assertTrue($status['Extension PHP']['ok']);
        $this->assertFalse($status['Passerelle (/readyz)']['ok'], 'nothing listens on port 9');
        $this->assertArrayHasKey('OCPizza_DB', $status);

        $form = self::formValues($html);
        $this->assertSame('submitOcpizza', $form['submit_action']);
        $this->assertSame('standin-admin-token-AdminModules', $form['token']);
        $this->assertStringContainsString('configure=ocpizza', $form['currentIndex']);
        foreach ([Keys::KEY_TEST, Keys::KEY_PRODUCTION, Keys::WEBHOOK_SECRET, Keys::DB_URL, Keys::REST_PASSWORD_TEST, Keys::REST_PASSWORD_PRODUCTION] as $secret) {
            $this->assertSame('', $form['values'][$secret], $secret . ' never sent back');
        }
        foreach ([self::TEST_KEY, self::PROD_KEY, 'whsec_', 'mysql://'] as $secret) {
            $this->assertStringNotContainsString($secret, $html);
        }
        $descriptions = array_column(\HelperForm::$lastForms[0]['form']['input'], 'desc', 'name');
        $this->assertSame('Actuellement renseignée. Laissez vide pour la conserver.', $descriptions[Keys::KEY_TEST]);
        $this->assertStringStartsWith('Valeur actuelle : non renseignée.', $descriptions[Keys::REST_PASSWORD_TEST]);
        $this->assertSame(Keys::DEFAULT_REST_URL, $form['values'][Keys::REST_URL]);
        $this->assertSame('12345678', $form['values'][Keys::SITE_ID]);
        $this->assertStringContainsString('2=accepted', $form['values'][Keys::STATE_MAP]);
    }

    public function testValidSubmitSavesAndKeepsSecretsLeftEmpty(): void
    {
        $html = $this->submit([Keys::KEY_TEST => '', Keys::WEBHOOK_SECRET => '', Keys::DB_URL => '']);
        $this->assertStringContainsString('Réglages enregistrés.', $html);
        $this->assertSame('87654321', \Configuration::get(Keys::SITE_ID));
        $this->assertSame('SHA-1', \Configuration::get(Keys::ALGORITHM));
        $this->assertSame(self::TEST_KEY, \Configuration::get(Keys::KEY_TEST), 'kept');
        $this->assertSame('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', \Configuration::get(Keys::WEBHOOK_SECRET), 'kept');
        $this->assertSame('{"2":"accepted","5":"delivered"}', \Configuration::get(Keys::STATE_MAP));
        $this->assertSame('{"2":"BELLECOUR"}', \Configuration::get(Keys::PICKUP_CARRIERS));
    }

    public function testRestPasswordIsSavedThenShownAsSetAndNeverEchoed(): void
    {
        $html = $this->submit([Keys::REST_PASSWORD_TEST => 'testpassword_SbEbeOue9V0Z', Keys::REST_URL => 'https://api.rest.test/api-payment']);
        $this->assertStringContainsString('Réglages enregistrés.', $html);
        $this->assertSame('testpassword_SbEbeOue9V0Z', \Configuration::get(Keys::REST_PASSWORD_TEST));
        $this->assertSame('https://api.rest.test/api-payment/', $this->module->settings()->restApiUrl());
        $this->assertSame('testpassword_SbEbeOue9V0Z', $this->module->settings()->restPassword(), 'the TEST one in TEST mode');
        $_POST = [];
        $html = $this->module->getContent();
        $this->assertStringNotContainsString('testpassword_SbEbeOue9V0Z', $html);
        $descriptions = array_column(\HelperForm::$lastForms[0]['form']['input'], 'desc', 'name');
        $this->assertStringStartsWith('Valeur actuelle : renseignée.', $descriptions[Keys::REST_PASSWORD_TEST]);

        $html = $this->submit([Keys::REST_PASSWORD_PRODUCTION => 'testpassword_SbEbeOue9V0Z']);
        $this->assertStringContainsString('Mot de passe REST de PRODUCTION : il commence par prodpassword_', $html);
        $this->assertSame('', (string) \Configuration::get(Keys::REST_PASSWORD_PRODUCTION), 'nothing saved');
    }

    public function testInvalidSubmitShowsEveryErrorAndSavesNothing(): void
    {
        $html = $this->submit([Keys::SITE_ID => '123', Keys::STATE_MAP => '99=accepted', Keys::WEBHOOK_SECRET => 'not-a-secret']);
        $this->assertStringContainsString('Identifiant boutique : 8 chiffres', $html);
        $this->assertStringContainsString('Correspondance des états, ligne 1 : aucun état de commande n&#039;a cet identifiant.', $html);
        $this->assertStringContainsString('Secret webhook : whsec_ suivi du secret', $html);
        $this->assertSame(self::SITE_ID, \Configuration::get(Keys::SITE_ID), 'nothing saved');
        $this->assertStringNotContainsString('not-a-secret', $html, 'a refused secret is not echoed either');
    }

    public function testWithoutTheExtensionThePageExplainsHowToInstallIt(): void
    {
        $this->gateway->loaded = false;
        $html = $this->module->getContent();
        $this->assertStringContainsString('L&#039;extension PHP ocpizza n&#039;est pas chargée', $html);
        $this->assertStringContainsString('extension=ocpizza.so', $html);
        $status = array_column(\Context::getContext()->smarty->getTemplateVars('ocpizza_status'), null, 'name');
        $this->assertSame(['ok' => false, 'detail' => 'not loaded'], array_intersect_key($status['Extension PHP'], ['ok' => 1, 'detail' => 1]));
    }
}
