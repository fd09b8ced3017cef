<?php
/** classes/ObjectModel.php: load by id, add(), update(), save() over the table of static::$definition. */
abstract class ObjectModel
{
    /** @var int|null */
    public $id;
    /** @var array{table: string, primary: string, fields: string[], json?: string[]} */
    public static $definition = [];

    public function __construct($id = null, $id_lang = null, $id_shop = null)
    {
        if ($id) {
            $def = static::$definition;
            $row = Db::getInstance()->getRow('SELECT * FROM `' . _DB_PREFIX_ . $def['table'] . '` WHERE `' . $def['primary'] . '` = ' . (int) $id, false);
            if (is_array($row)) {
                $this->id = (int) $row[$def['primary']];
                foreach ($def['fields'] as $f) {
                    $v = $row[$f] ?? null;
                    $this->{$f} = in_array($f, $def['json'] ?? [], true) ? json_decode((string) $v, true) : $v;
                    if ($id_lang && is_array($this->{$f})) {
                        $this->{$f} = $this->{$f}[(int) $id_lang] ?? reset($this->{$f});
                    }
                }
            }
        }
    }

    private function row(): array
    {
        $def = static::$definition;
        $row = [];
        foreach ($def['fields'] as $f) {
            $v = $this->{$f};
            if (in_array($f, $def['json'] ?? [], true)) {
                $v = json_encode($v, JSON_UNESCAPED_UNICODE);
            } elseif (is_bool($v)) {
                $v = (int) $v;
            }
            $row[$f] = $v === null ? '' : $v;
        }

        return $row;
    }

    public function add($auto_date = true, $null_values = false)
    {
        $def = static::$definition;
        if ($auto_date && property_exists($this, 'date_add') && empty($this->date_add)) {
            $this->date_add = date('Y-m-d H:i:s');
        }
        if (!Db::getInstance()->insert($def['table'], $this->row())) {
            return false;
        }
        $this->id = Db::getInstance()->Insert_ID();

        return true;
    }

    public function update($null_values = false)
    {
        $def = static::$definition;

        return Db::getInstance()->update($def['table'], $this->row(), '`' . $def['primary'] . '` = ' . (int) $this->id);
    }

    public function save()
    {
        return $this->id ? $this->update() : $this->add();
    }
}

/** classes/Currency.php: iso_code, iso_code_num, precision. */
class Currency extends ObjectModel
{
    public $iso_code;
    public $iso_code_num;
    public $precision;
    public static $definition = ['table' => 'currency', 'primary' => 'id_currency', 'fields' => ['iso_code', 'iso_code_num', 'precision']];
}

/** classes/Customer.php: the fields the module reads, getGroupsStatic(). */
class Customer extends ObjectModel
{
    public $email;
    public $firstname;
    public $lastname;
    public $secure_key;
    /** @var string|null password hash (not stored by the stand-in; part of Tools::getToken()) */
    public $passwd;
    public static $definition = ['table' => 'customer', 'primary' => 'id_customer', 'fields' => ['email', 'firstname', 'lastname', 'secure_key']];

    /** Customer::getGroupsStatic(): the customer's groups (customer_group), the Visitor group without a customer. */
    public static function getGroupsStatic($id_customer)
    {
        if (!(int) $id_customer) {
            return [1];
        }

        return array_map('intval', array_column(Db::getInstance()->executeS('SELECT id_group FROM `' . _DB_PREFIX_ . 'customer_group` WHERE id_customer = ' . (int) $id_customer), 'id_group'));
    }
}

/** classes/Address.php: the fields the module reads. */
class Address extends ObjectModel
{
    public $id_customer;
    public $address1;
    public $address2;
    public $postcode;
    public $city;
    public $id_country;
    public $phone;
    public $phone_mobile;
    public static $definition = ['table' => 'address', 'primary' => 'id_address', 'fields' => ['id_customer', 'address1', 'address2', 'postcode', 'city', 'id_country', 'phone', 'phone_mobile']];
}

/** classes/Carrier.php: id_reference, getCarriers(). */
class Carrier extends ObjectModel
{
    public const ALL_CARRIERS = 5;
    /** @var int the id of the carrier's first version (a carrier edited in the back office gets a new id, same reference) */
    public $id_reference;
    public $name;
    public $active;
    public $deleted;
    public static $definition = ['table' => 'carrier', 'primary' => 'id_carrier', 'fields' => ['id_reference', 'name', 'active', 'deleted']];

    public static function getCarriers($id_lang, $active = false, $delete = false, $id_zone = false, $ids_group = null, $modules_filters = self::ALL_CARRIERS)
    {
        return Db::getInstance()->executeS('SELECT id_carrier, id_reference, name FROM `' . _DB_PREFIX_ . 'carrier` WHERE deleted = ' . (int) $delete . ($active ? ' AND active = 1' : ''));
    }
}

/** classes/Message.php: a private message on an order. */
class Message extends ObjectModel
{
    public $id_order;
    public $id_cart;
    public $id_customer;
    public $message;
    public $private;
    public static $definition = ['table' => 'message', 'primary' => 'id_message', 'fields' => ['id_order', 'id_cart', 'id_customer', 'message', 'private']];
}

/** classes/order/OrderState.php: flags (logable, paid, shipped…), multilingual name, getOrderStates(). */
class OrderState extends ObjectModel
{
    public const FLAG_PAID = 'paid';
    public $name;
    public $color;
    public $module_name;
    public $logable;
    public $paid;
    public $invoice;
    public $send_email;
    public $hidden;
    public $unremovable;
    public $delivery;
    public $shipped;
    public $pdf_invoice;
    public $pdf_delivery;
    public $deleted;
    public $template;
    public static $definition = ['table' => 'order_state', 'primary' => 'id_order_state', 'json' => ['name'],
        'fields' => ['name', 'color', 'module_name', 'logable', 'paid', 'invoice', 'send_email', 'hidden', 'unremovable', 'delivery', 'shipped', 'pdf_invoice', 'pdf_delivery', 'deleted']];

    public static function getOrderStates($id_lang, $filterDeleted = true)
    {
        $rows = Db::getInstance()->executeS('SELECT id_order_state, name FROM `' . _DB_PREFIX_ . 'order_state`' . ($filterDeleted ? ' WHERE deleted = 0' : '') . ' ORDER BY id_order_state');
        foreach ($rows as &$r) {
            $names = json_decode($r['name'], true);
            $r['name'] = $names[(int) $id_lang] ?? reset($names);
        }

        return $rows;
    }
}

/** classes/Cart.php: getProducts(), getCartRules(), getOrderTotal() (PS_ROUND_TYPE per line), orderExists(). */
class Cart extends ObjectModel
{
    public const ONLY_PRODUCTS = 1;
    public const ONLY_DISCOUNTS = 2;
    public const BOTH = 3;
    public const ONLY_SHIPPING = 5;

    public $id_customer;
    public $id_currency;
    public $id_address_delivery;
    public $id_carrier;
    public $id_lang;
    public $id_shop;
    public $secure_key;
    public $shipping_wt;
    public $shipping_rate;
    public static $definition = ['table' => 'cart', 'primary' => 'id_cart', 'fields' => ['id_customer', 'id_currency', 'id_address_delivery', 'id_carrier', 'id_lang', 'id_shop', 'secure_key', 'shipping_wt', 'shipping_rate']];

    /** Cart lines with PrestaShop's keys (reference, name, cart_quantity, price_wt, rate, total_wt). */
    public function getProducts($refresh = false, $id_product = false, $id_country = null, $fullInfos = true, bool $keepOrderPrices = false)
    {
        $rows = Db::getInstance()->executeS('SELECT p.id_product, p.reference, p.name, cp.quantity AS cart_quantity, p.price_wt, p.rate FROM `'
            . _DB_PREFIX_ . 'cart_product` cp JOIN `' . _DB_PREFIX_ . 'product` p ON p.id_product = cp.id_product WHERE cp.id_cart = ' . (int) $this->id . ' ORDER BY p.id_product');
        foreach ($rows as &$r) {
            $r['cart_quantity'] = (int) $r['cart_quantity'];
            $r['price_wt'] = (float) $r['price_wt'];
            $r['rate'] = (float) $r['rate'];
            $r['total_wt'] = Tools::ps_round($r['price_wt'] * $r['cart_quantity'], 2); // PS_ROUND_TYPE = per line
        }

        return $rows;
    }

    public function getCartRules($filter = 0, $autoAdd = true, $useOrderPrices = false)
    {
        return Db::getInstance()->executeS('SELECT name, value_real FROM `' . _DB_PREFIX_ . 'cart_cart_rule` WHERE id_cart = ' . (int) $this->id);
    }

    /** Totals as PrestaShop computes them with PS_ROUND_TYPE "round each line". */
    public function getOrderTotal($withTaxes = true, $type = self::BOTH, $products = null, $id_carrier = null, $use_cache = false, bool $keepOrderPrices = false)
    {
        $products_total = 0.0;
        foreach ($this->getProducts() as $p) {
            $products_total += $p['total_wt'];
        }
        $discounts = 0.0;
        foreach ($this->getCartRules() as $r) {
            $discounts += (float) $r['value_real'];
        }
        $shipping = (float) $this->shipping_wt;
        switch ($type) {
            case self::ONLY_PRODUCTS:
                return Tools::ps_round($products_total, 2);
            case self::ONLY_DISCOUNTS:
                return Tools::ps_round($discounts, 2);
            case self::ONLY_SHIPPING:
                return Tools::ps_round($shipping, 2);
            default:
                return Tools::ps_round(max(0, $products_total + $shipping - $discounts), 2);
        }
    }

    public function orderExists()
    {
        return (bool) Db::getInstance()->getValue('SELECT COUNT(*) FROM `' . _DB_PREFIX_ . 'orders` WHERE id_cart = ' . (int) $this->id, false);
    }

    public function setTaxCalculationMethod()
    {
    }
}

/** classes/order/Order.php: getIdByCartId(), getCurrentState(), hasBeenPaid() (from the history), generateReference() (9 upper-case letters). */
class Order extends ObjectModel
{
    public $reference;
    public $id_cart;
    public $id_customer;
    public $id_currency;
    public $id_address_delivery;
    public $id_carrier;
    public $id_lang;
    public $current_state;
    public $module;
    public $payment;
    public $secure_key;
    public $total_paid;
    public $total_paid_tax_incl;
    public $total_paid_real;
    public $total_shipping_tax_incl;
    public $total_discounts_tax_incl;
    public $carrier_tax_rate;
    public $valid;
    public $date_add;
    public static $definition = ['table' => 'orders', 'primary' => 'id_order', 'fields' => ['reference', 'id_cart', 'id_customer', 'id_currency', 'id_address_delivery', 'id_carrier', 'id_lang', 'current_state', 'module', 'payment', 'secure_key', 'total_paid', 'total_paid_tax_incl', 'total_paid_real', 'total_shipping_tax_incl', 'total_discounts_tax_incl', 'carrier_tax_rate', 'valid', 'date_add']];

    public static function getIdByCartId($id_cart)
    {
        $id = Db::getInstance()->getValue('SELECT id_order FROM `' . _DB_PREFIX_ . 'orders` WHERE id_cart = ' . (int) $id_cart . ' ORDER BY id_order', false);

        return $id ? (int) $id : false;
    }

    public function getCurrentState()
    {
        return (int) $this->current_state;
    }

    /** As PrestaShop: from the order history, whether the order was ever in a paid state. */
    public function hasBeenPaid()
    {
        return (int) Db::getInstance()->getValue('SELECT COUNT(*) FROM `' . _DB_PREFIX_ . 'order_history` h JOIN `' . _DB_PREFIX_
            . 'order_state` s ON s.id_order_state = h.id_order_state WHERE s.paid = 1 AND h.id_order = ' . (int) $this->id, false);
    }

    public static function generateReference()
    {
        return strtoupper(Tools::passwdGen(9, 'NO_NUMERIC'));
    }
}

/**
 * classes/order/OrderHistory.php (9.2.1 read): changeIdOrderState() fires actionOrderStatusUpdate before and
 * actionOrderStatusPostUpdate after changing current_state; addWithemail() writes the history row.
 */
class OrderHistory extends ObjectModel
{
    public $id_order;
    public $id_order_state;
    public $date_add;
    public static $definition = ['table' => 'order_history', 'primary' => 'id_order_history', 'fields' => ['id_order', 'id_order_state', 'date_add']];

    /**
     * As PrestaShop 8.2: fires actionOrderStatusUpdate (before) and actionOrderStatusPostUpdate (after) around the
     * change of the order's current_state; the history row itself is written by add()/addWithemail().
     */
    public function changeIdOrderState($new_order_state, $id_order, $use_existing_payment = false)
    {
        $order = $id_order instanceof Order ? $id_order : new Order((int) $id_order);
        $new_os = new OrderState((int) $new_order_state, (int) $order->id_lang);
        // As PrestaShop (9.2.1 read): oldOrderStatus is always an OrderState, not loaded (id null) for a new order.
        $old_os = new OrderState((int) $order->current_state, (int) $order->id_lang);
        if (!Validate::isLoadedObject($new_os)) {
            throw new PrestaShopException('Can\'t load Order status');
        }
        Hook::exec('actionOrderStatusUpdate', ['newOrderStatus' => $new_os, 'oldOrderStatus' => $old_os, 'id_order' => (int) $order->id], null, false, true, false, $order->id_shop ?? null);
        if ($new_os->paid && !$old_os->paid && $use_existing_payment === false) {
            $payment = ['order_reference' => $order->reference, 'amount' => $order->total_paid_tax_incl, 'payment_method' => $order->payment, 'transaction_id' => ''];
            Db::getInstance()->insert('order_payment', $payment);
        }
        $order->current_state = (int) $new_os->id;
        $order->valid = (int) $new_os->logable;
        $order->update();
        $this->id_order_state = (int) $new_os->id;
        Hook::exec('actionOrderStatusPostUpdate', ['newOrderStatus' => $new_os, 'oldOrderStatus' => $old_os, 'id_order' => (int) $order->id], null, false, true, false, $order->id_shop ?? null);
    }

    public function addWithemail($autodate = true, $template_vars = false, Context $context = null)
    {
        return $this->add($autodate);
    }
}

/** classes/Employee.php: the fields the module reads (id, firstname, lastname). */
class Employee extends ObjectModel
{
    public $firstname;
    public $lastname;
    public static $definition = ['table' => 'employee', 'primary' => 'id_employee', 'fields' => ['firstname', 'lastname']];
}

/** classes/order/OrderSlip.php: a credit slip (amounts incl. tax as OrderSlipCreator fills them). */
class OrderSlip extends ObjectModel
{
    public $id_customer;
    public $id_order;
    public $conversion_rate;
    public $total_products_tax_excl;
    public $total_products_tax_incl;
    public $total_shipping_tax_excl;
    public $total_shipping_tax_incl;
    public $shipping_cost;
    public $amount;
    public $shipping_cost_amount;
    public $partial;
    public $order_slip_type;
    public $date_add;
    public static $definition = ['table' => 'order_slip', 'primary' => 'id_order_slip', 'fields' => ['id_customer', 'id_order', 'conversion_rate',
        'total_products_tax_excl', 'total_products_tax_incl', 'total_shipping_tax_excl', 'total_shipping_tax_incl', 'shipping_cost', 'amount',
        'shipping_cost_amount', 'partial', 'order_slip_type', 'date_add']];
}

/**
 * src/Adapter/Order/Refund/OrderSlipCreator.php (8.x, 9.x), create() with taxes included (the shop's setting): the
 * slip is added first (amount = products incl. tax, or the amount the merchant typed; shipping_cost_amount =
 * shipping incl. tax; order_slip_type 1 when the vouchers are deducted, 2 for a typed amount or any shipping), THEN
 * actionOrderSlipAdd fires with 'order', 'productList' (id_order_detail => refund) and 'qtyList' — no slip. Both
 * IssueStandardRefundHandler and IssuePartialRefundHandler end here when a credit slip is generated.
 * Stand-in only: the product refunds are given already priced (unit_price incl. tax, quantity).
 */
class OrderSlipCreator
{
    /** @param array<int, array{unit_price: float, quantity: int}> $productRefunds */
    public static function create(Order $order, array $productRefunds, float $shippingRefund = 0.0, ?float $typedAmount = null, bool $deductVouchers = false): OrderSlip
    {
        $products = 0.0;
        foreach ($productRefunds as $p) {
            $products += Tools::ps_round((float) $p['unit_price'] * (int) $p['quantity'], 6);
        }
        $slip = new OrderSlip();
        $slip->id_customer = (int) $order->id_customer;
        $slip->id_order = (int) $order->id;
        $slip->conversion_rate = 1;
        $slip->shipping_cost = $shippingRefund > 0 ? 1 : 0;
        $slip->total_shipping_tax_incl = $slip->total_shipping_tax_excl = $shippingRefund;
        $slip->total_products_tax_incl = $slip->total_products_tax_excl = $products;
        $slip->partial = 0;
        $slip->amount = $typedAmount !== null ? $typedAmount : $products;
        $slip->shipping_cost_amount = $slip->total_shipping_tax_incl;
        $slip->order_slip_type = 0;
        if ($deductVouchers && $typedAmount === null) {
            $slip->order_slip_type = 1;
        }
        if ($typedAmount !== null || $slip->shipping_cost_amount > 0) {
            $slip->order_slip_type = 2;
        }
        $slip->add();
        Hook::exec('actionOrderSlipAdd', [
            'order' => $order,
            'productList' => $productRefunds,
            'qtyList' => array_map(static function ($p) { return $p['quantity']; }, $productRefunds),
        ], null, false, true, false, $order->id_shop ?? null);

        return $slip;
    }
}
