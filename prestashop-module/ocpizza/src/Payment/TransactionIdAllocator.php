<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Payment;

if (!defined('_PS_VERSION_')) {
    exit;
}


use OCPizzaModule\Contract\Clock;
use OCPizzaModule\Contract\TransactionIdStore;

/**
 * vads_trans_id: 6 digits, unique per shop per UTC day. Like the gateway's own module it starts from the tenths of
 * a second since UTC midnight (000000–863999, inside the historical n6 range 000000–899999), and a side table
 * UNIQUE(trans_date_day, trans_id) guards against two customers starting their payment in the same tenth.
 */
final class TransactionIdAllocator
{
    public const MAX_ATTEMPTS = 50;

    /** @var Clock */
    private $clock;
    /** @var TransactionIdStore */
    private $store;

    public function __construct(Clock $clock, TransactionIdStore $store)
    {
        $this->clock = $clock;
        $this->store = $store;
    }

    /**
     * @return array{trans_id: string, trans_date: string} trans_date is the UTC n14 date of the same instant
     *
     * @throws \RuntimeException when no free id was found (50 taken in a row: the store is misbehaving)
     */
    public function allocate(int $cartId): array
    {
        $now = $this->clock->now()->setTimezone(new \DateTimeZone('UTC'));
        $day = $now->format('Ymd');
        $midnight = $now->setTime(0, 0, 0, 0);
        $seconds = $now->getTimestamp() - $midnight->getTimestamp();
        $tenths = $seconds * 10 + intdiv((int) $now->format('u'), 100000);
        for ($i = 0; $i < self::MAX_ATTEMPTS; ++$i) {
            // Later numbers of the same day stay below 900000 (reserved range above it).
            $candidate = sprintf('%06d', ($tenths + $i) % 900000);
            if ($this->store->reserve($day, $candidate, $cartId)) {
                return ['trans_id' => $candidate, 'trans_date' => $now->format('YmdHis')];
            }
        }
        throw new \RuntimeException('vads_trans_id: no free transaction id after ' . self::MAX_ATTEMPTS . ' attempts');
    }
}
