<?php

namespace OCPizzaModule\Tests\Logic;

use OCPizzaModule\Adapter\ArrayConfig;
use OCPizzaModule\Config\Keys;
use OCPizzaModule\Config\SettingsValidator;
use PHPUnit\Framework\TestCase;

final class SettingsValidatorTest extends TestCase
{
    private static function valid(): array
    {
        return [
            Keys::SITE_ID => '12345678', Keys::MODE => 'TEST', Keys::KEY_TEST => '1122334455667788', Keys::KEY_PRODUCTION => '',
            Keys::ALGORITHM => 'HMAC-SHA-256', Keys::GATEWAY_URL => '', Keys::DB_URL => 'mysql://ocp:s3cret@127.0.0.1:3306/ocpizza',
            Keys::BRIDGE_URL => 'http://127.0.0.1:8080/', Keys::WEBHOOK_SECRET => 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
            Keys::STATE_MAP => "2=accepted\n5=delivered", Keys::PICKUP_CARRIERS => '7=BELLECOUR',
        ];
    }

    private function validate(array $submitted, array $stored = []): array
    {
        return (new SettingsValidator())->validate($submitted, new ArrayConfig($stored), [2, 5, 8], [1, 7]);
    }

    public function testValidFormGivesNormalisedValues(): void
    {
        [$values, $errors] = $this->validate(self::valid());
        $this->assertSame([], $errors);
        $this->assertSame(Keys::DEFAULT_GATEWAY_URL, $values[Keys::GATEWAY_URL], 'SogeCommerce by default');
        $this->assertSame('http://127.0.0.1:8080', $values[Keys::BRIDGE_URL]);
        $this->assertSame('{"2":"accepted","5":"delivered"}', $values[Keys::STATE_MAP]);
        $this->assertSame('{"7":"BELLECOUR"}', $values[Keys::PICKUP_CARRIERS]);
        $this->assertArrayNotHasKey(Keys::KEY_PRODUCTION, $values, 'empty key field: stored key kept');
        $this->assertSame(Keys::DEFAULT_REST_URL, $values[Keys::REST_URL], 'SogeCommerce REST API by default');
        $this->assertArrayNotHasKey(Keys::REST_PASSWORD_TEST, $values, 'REST passwords are optional, an empty field keeps the stored one');
    }

    public function testRestPasswordsOfTheirModeAreStored(): void
    {
        [$values, $errors] = $this->validate([Keys::REST_PASSWORD_TEST => ' testpassword_Kq3Xa9zL0 ', Keys::REST_PASSWORD_PRODUCTION => 'prodpassword_Zz81'] + self::valid());
        $this->assertSame([], $errors);
        $this->assertSame('testpassword_Kq3Xa9zL0', $values[Keys::REST_PASSWORD_TEST]);
        $this->assertSame('prodpassword_Zz81', $values[Keys::REST_PASSWORD_PRODUCTION]);
    }

    public function invalidProvider(): array
    {
        return [
            'shop id too short' => [Keys::SITE_ID, '1234567', 'site_id'],
            'shop id letters' => [Keys::SITE_ID, '1234567a', 'site_id'],
            'mode' => [Keys::MODE, 'DEMO', 'mode'],
            'key with spaces' => [Keys::KEY_TEST, 'abc def ghi', 'key_format'],
            'algorithm' => [Keys::ALGORITHM, 'MD5', 'algorithm'],
            'gateway over http' => [Keys::GATEWAY_URL, 'http://sogecommerce.societegenerale.eu/vads-payment/', 'https_url'],
            'db url scheme' => [Keys::DB_URL, 'postgres://u@h/db', 'db_url'],
            'db url without database' => [Keys::DB_URL, 'mysql://u@127.0.0.1:3306/', 'db_url'],
            'bridge url' => [Keys::BRIDGE_URL, 'ftp://bridge', 'http_url'],
            'secret prefix' => [Keys::WEBHOOK_SECRET, 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec'],
            'secret with an empty key' => [Keys::WEBHOOK_SECRET, 'whsec_', 'whsec'],
            'secret not base64' => [Keys::WEBHOOK_SECRET, 'whsec_MfKQ9r8GKYqrTwjUPD8I LPZIo2LaLaSw', 'whsec'],
            'secret of an impossible base64 length' => [Keys::WEBHOOK_SECRET, 'whsec_MfKQ9', 'whsec'],
            'state mapping' => [Keys::STATE_MAP, '3=accepted', 'unknown_state'],
            'pickup carrier' => [Keys::PICKUP_CARRIERS, '9=BELLECOUR', 'unknown_carrier'],
            'pickup code' => [Keys::PICKUP_CARRIERS, '7=bellecour', 'line_format'],
            'rest url over http' => [Keys::REST_URL, 'http://api-sogecommerce.societegenerale.eu/api-payment/', 'rest_url'],
            'rest password with spaces' => [Keys::REST_PASSWORD_TEST, 'testpassword_ abc def', 'rest_password_format'],
            'production rest password in the test field' => [Keys::REST_PASSWORD_TEST, 'prodpassword_Kq3Xa9zL0', 'rest_password_mode'],
            'test rest password in the production field' => [Keys::REST_PASSWORD_PRODUCTION, 'testpassword_Kq3Xa9zL0', 'rest_password_mode'],
        ];
    }

    /** The Standard Webhooks reference libraries' unpadded secrets (keys of 23 and 25 bytes), and other lengths. */
    public function testSecretsTheReferenceLibrariesAcceptAreAccepted(): void
    {
        $secrets = ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr',
            'whsec_' . base64_encode(str_repeat('k', 16)), 'whsec_' . base64_encode(str_repeat('k', 65))];
        foreach ($secrets as $secret) {
            [$values, $errors] = $this->validate([Keys::WEBHOOK_SECRET => $secret] + self::valid());
            $this->assertSame([], $errors, $secret);
            $this->assertSame($secret, $values[Keys::WEBHOOK_SECRET]);
        }
    }

    /** @dataProvider invalidProvider */
    public function testEachInvalidFieldIsNamed(string $field, string $value, string $reason): void
    {
        [$values, $errors] = $this->validate([$field => $value] + self::valid());
        $this->assertSame([], $values, 'nothing saved while a field is wrong');
        $this->assertSame([[$field, $reason]], array_map(static function ($e) { return [$e->field, $e->reason]; }, $errors));
    }

    public function testAllErrorsAtOnce(): void
    {
        [, $errors] = $this->validate([Keys::SITE_ID => 'x', Keys::MODE => 'x', Keys::ALGORITHM => 'x'] + self::valid());
        $this->assertSame([Keys::SITE_ID, Keys::MODE, Keys::ALGORITHM], array_map(static function ($e) { return $e->field; }, $errors));
    }

    public function testKeysRequiredForTheirModeUnlessStored(): void
    {
        [, $errors] = $this->validate([Keys::MODE => 'PRODUCTION'] + self::valid());
        $this->assertSame([[Keys::KEY_PRODUCTION, 'key_required']], array_map(static function ($e) { return [$e->field, $e->reason]; }, $errors));
        [$values, $errors] = $this->validate([Keys::MODE => 'PRODUCTION'] + self::valid(), [Keys::KEY_PRODUCTION => 'stored-prod-key']);
        $this->assertSame([], $errors);
        [, $errors] = $this->validate([Keys::KEY_TEST => ''] + self::valid());
        $this->assertSame('key_required', $errors[0]->reason);
    }

    public function testSecretAndDatabaseUrlKeptWhenLeftEmpty(): void
    {
        [$values, $errors] = $this->validate([Keys::WEBHOOK_SECRET => '', Keys::DB_URL => ''] + self::valid(), [Keys::WEBHOOK_SECRET => 'whsec_x', Keys::DB_URL => 'mysql://a@b/c']);
        $this->assertSame([], $errors);
        $this->assertArrayNotHasKey(Keys::WEBHOOK_SECRET, $values);
        $this->assertArrayNotHasKey(Keys::DB_URL, $values);
        [, $errors] = $this->validate([Keys::WEBHOOK_SECRET => '', Keys::DB_URL => ''] + self::valid());
        $this->assertSame([Keys::DB_URL, Keys::WEBHOOK_SECRET], array_map(static function ($e) { return $e->field; }, $errors));
    }
}
