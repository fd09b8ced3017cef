<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Order;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The OC Pizza statuses to go through to reach a mapped status. OCPizza_DB's state machine moves one step at a
 * time (received → accepted → in_preparation → ready → out_for_delivery → delivered, or → picked_up for takeaway);
 * a manager who sets "Prête" straight after "Paiement accepté" means "it went through preparation", so the
 * module walks the intermediate steps. It never walks backwards and never leaves a final status.
 */
final class StatusPath
{
    private const DELIVERY = ['received', 'accepted', 'in_preparation', 'ready', 'out_for_delivery', 'delivered'];
    private const TAKEAWAY = ['received', 'accepted', 'in_preparation', 'ready', 'picked_up'];
    private const FINAL = ['delivered', 'picked_up', 'cancelled'];

    /**
     * @param string $current the order's OC Pizza status as last set by the module ('received' after recordOrder)
     * @param string $target the mapped status
     * @param string $fulfilment delivery|takeaway
     *
     * @return string[] statuses to set, in order; empty when there is nothing to do (same, behind, or final)
     */
    public static function steps(string $current, string $target, string $fulfilment): array
    {
        if (in_array($current, self::FINAL, true)) {
            return [];
        }
        $path = $fulfilment === 'takeaway' ? self::TAKEAWAY : self::DELIVERY;
        // One PrestaShop "delivered" state serves both: a takeaway order is delivered by being picked up.
        if ($fulfilment === 'takeaway' && $target === 'delivered') {
            $target = 'picked_up';
        }
        if ($fulfilment === 'delivery' && $target === 'picked_up') {
            $target = 'delivered';
        }
        if ($target === 'cancelled') {
            return ['cancelled'];
        }
        $from = array_search($current, $path, true);
        $to = array_search($target, $path, true);
        if ($from === false || $to === false || $to <= $from) {
            return [];
        }

        return array_slice($path, $from + 1, $to - $from);
    }
}
