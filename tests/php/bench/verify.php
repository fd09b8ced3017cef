<?php
/**
 * Verifying a realistic 40-field SogeCommerce notification: OCPizza\SogeCommerce::verify against the same work in
 * plain PHP (keep vads_*, ksort, implode, hash_hmac, hash_equals), interleaved in one run. Bounded: --rounds
 * (default 7) × --n verifications (default 20000) per implementation; the median round is reported.
 *
 *   cargo build --release -p ocpizza-ext
 *   php -d extension=$PWD/target/release/libocpizza.so tests/php/bench/verify.php
 */

declare(strict_types=1);

if (!extension_loaded('ocpizza')) {
    fwrite(STDERR, "load the extension: php -d extension=\$PWD/target/release/libocpizza.so …\n");
    exit(1);
}
$opts = getopt('', ['rounds::', 'n::']);
$rounds = max(1, min(50, (int) ($opts['rounds'] ?? 7)));
$n = max(1, min(1_000_000, (int) ($opts['n'] ?? 20000)));

/** A paid card payment as SogeCommerce posts it: 39 vads_* fields + signature. */
function notification(string $key): array
{
    $f = [
        'vads_action_mode' => 'INTERACTIVE', 'vads_amount' => '3280', 'vads_auth_mode' => 'FULL',
        'vads_auth_number' => '3fe0a3', 'vads_auth_result' => '00', 'vads_bank_code' => '17807',
        'vads_bank_label' => 'Banque Populaire', 'vads_bank_product' => 'F', 'vads_capture_delay' => '0',
        'vads_card_brand' => 'CB', 'vads_card_country' => 'FR', 'vads_card_number' => '497010XXXXXX0055',
        'vads_contract_used' => '5785350', 'vads_ctx_mode' => 'PRODUCTION', 'vads_currency' => '978',
        'vads_cust_email' => 'lea.martin@example.fr', 'vads_cust_first_name' => 'Léa', 'vads_cust_last_name' => 'Martin',
        'vads_effective_amount' => '3280', 'vads_effective_creation_date' => '20261129183005',
        'vads_effective_currency' => '978', 'vads_expiry_month' => '6', 'vads_expiry_year' => '2028',
        'vads_hash' => '0b5f2b1d0c2c0e1f8a2d9a0e4c2b7d61a5b8c3e2f1d0c9b8a7f6e5d4c3b2a190', 'vads_language' => 'fr',
        'vads_occurrence_type' => 'UNITAIRE', 'vads_operation_type' => 'DEBIT', 'vads_order_id' => 'XKBKNABJK',
        'vads_page_action' => 'PAYMENT', 'vads_payment_certificate' => 'a8f5f167f44f4964e6c998dee827110c8d6e0b1c',
        'vads_payment_config' => 'SINGLE', 'vads_result' => '00', 'vads_sequence_number' => '1',
        'vads_site_id' => '12345678', 'vads_threeds_status' => 'Y', 'vads_trans_date' => '20261129183005',
        'vads_trans_id' => '000042', 'vads_trans_status' => 'AUTHORISED', 'vads_trans_uuid' => 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    ];
    $f['vads_url_check_src'] = 'PAY';
    $f['vads_version'] = 'V2';

    return $f;
}

function plain_verify(array $fields, string $key): bool
{
    $vads = [];
    foreach ($fields as $name => $value) {
        if (strncmp((string) $name, 'vads_', 5) === 0) {
            $vads[$name] = $value;
        }
    }
    ksort($vads, SORT_STRING);
    $expected = base64_encode(hash_hmac('sha256', implode('+', $vads) . '+' . $key, $key, true));

    return hash_equals($expected, (string) ($fields['signature'] ?? ''));
}

$key = 'wpx9Q4t2Lm7Rk3Hs';
$fields = notification($key);
$fields = array_slice($fields, 0, 40, true);
$fields['signature'] = OCPizza\SogeCommerce::sign($fields, $key);
$fields = array_reverse($fields, true); // as posted: not in signing order
$count = count(array_filter(array_keys($fields), static fn ($k) => str_starts_with($k, 'vads_')));
if (!plain_verify($fields, $key) || !OCPizza\SogeCommerce::verify($fields, $key)) {
    fwrite(STDERR, "the two implementations disagree\n");
    exit(1);
}

$ext = [];
$php = [];
for ($r = 0; $r < $rounds; $r++) {
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        OCPizza\SogeCommerce::verify($fields, $key);
    }
    $ext[] = (hrtime(true) - $t) / $n;
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        plain_verify($fields, $key);
    }
    $php[] = (hrtime(true) - $t) / $n;
}
sort($ext);
sort($php);
$e = $ext[intdiv($rounds, 2)];
$p = $php[intdiv($rounds, 2)];
printf("verify a %d-field notification (%d vads_*), %d rounds × %d, php %s, extension %s\n", count($fields), $count, $rounds, $n, PHP_VERSION, phpversion('ocpizza'));
printf("extension  %8.2f µs/verify\nplain PHP  %8.2f µs/verify\nratio      %8.2f× (plain PHP time / extension time)\n", $e / 1000, $p / 1000, $p / $e);
