<?php
/** classes/module/Module.php: install() (module row, group restrictions), uninstall(), registerHook(), l() (legacy translations), display()/fetch(). */
abstract class Module
{
    /** @var Module[] */
    private static $instances = [];

    public $id;
    public $name;
    public $tab;
    public $version;
    public $author;
    public $need_instance;
    public $ps_versions_compliancy;
    public $bootstrap;
    public $controllers = [];
    public $currencies;
    public $currencies_mode;
    public $displayName;
    public $description;
    public $confirmUninstall;
    public $warning;
    public $active = false;
    /** @var Context */
    public $context;
    /** @var string */
    protected $_path;

    public function __construct($name = null, Context $context = null)
    {
        $this->context = $context ?: Context::getContext();
        $row = Db::getInstance()->getRow('SELECT id_module, active FROM `' . _DB_PREFIX_ . 'module` WHERE name = \'' . pSQL((string) $this->name) . '\'', false);
        if (is_array($row)) {
            $this->id = (int) $row['id_module'];
            $this->active = (bool) $row['active'];
        }
        $this->_path = '/modules/' . $this->name . '/';
    }

    public static function getInstanceByName($module_name)
    {
        if (!isset(self::$instances[$module_name])) {
            $file = _PS_MODULE_DIR_ . $module_name . '/' . $module_name . '.php';
            if (!is_file($file)) {
                return false;
            }
            require_once $file;
            $class = ucfirst($module_name);
            self::$instances[$module_name] = new $class();
        }

        return self::$instances[$module_name];
    }

    /** Stand-in only: forget cached instances (a new "request"). */
    public static function resetInstances(): void
    {
        self::$instances = [];
    }

    public function install()
    {
        if (!preg_match('/^[a-zA-Z0-9_-]+$/', $this->name)) {
            return false;
        }
        Db::getInstance()->insert('module', ['name' => $this->name, 'active' => 1]);
        $this->id = Db::getInstance()->Insert_ID();
        $this->active = true;
        // As Module::install(): every customer group may use the module.
        Group::addRestrictionsForModule($this->id, [1]);

        return true;
    }

    public function uninstall()
    {
        Db::getInstance()->execute('DELETE FROM `' . _DB_PREFIX_ . 'hook_module` WHERE module = \'' . pSQL($this->name) . '\'');
        Db::getInstance()->execute('DELETE FROM `' . _DB_PREFIX_ . 'module` WHERE id_module = ' . (int) $this->id);
        $this->active = false;

        return true;
    }

    public function registerHook($hook_name, $shop_list = null)
    {
        foreach ((array) $hook_name as $hook) {
            Db::getInstance()->insert('hook_module', ['module' => $this->name, 'hook' => $hook], false, true, Db::INSERT_IGNORE);
        }

        return true;
    }

    public function isRegisteredInHook($hook)
    {
        return (bool) Db::getInstance()->getValue('SELECT COUNT(*) FROM `' . _DB_PREFIX_ . 'hook_module` WHERE module = \'' . pSQL($this->name) . '\' AND hook = \'' . pSQL($hook) . '\'', false);
    }

    /** Legacy translation, as PrestaShop: key <{module}prestashop>source_md5(string with ' escaped) in translations/<iso>.php. */
    public function l($string, $specific = false, $locale = null)
    {
        $iso = $this->context->language->iso_code ?? 'en';
        $file = _PS_MODULE_DIR_ . $this->name . '/translations/' . $iso . '.php';
        if (!is_file($file)) {
            return $string;
        }
        $_MODULE = [];
        include $file;
        $source = $specific ?: $this->name;
        $key = strtolower('<{' . $this->name . '}prestashop>' . $source) . '_' . md5(preg_replace("/\\\\*'/", "\\'", $string));

        return isset($_MODULE[$key]) ? stripslashes($_MODULE[$key]) : $string;
    }

    public function trans($id, array $parameters = [], $domain = null, $locale = null)
    {
        return strtr($id, $parameters);
    }

    public function display($file, $template, $cache_id = null, $compile_id = null)
    {
        return $this->context->smarty->fetch('module:' . $this->name . '/' . $template);
    }

    public function fetch($templatePath, $cache_id = null, $compile_id = null)
    {
        return $this->context->smarty->fetch($templatePath);
    }

    public function displayError($error)
    {
        return '<div class="alert alert-danger">' . htmlspecialchars(is_array($error) ? implode(' ', $error) : $error) . '</div>';
    }

    public function displayWarning($warning)
    {
        return '<div class="alert alert-warning">' . htmlspecialchars(is_array($warning) ? implode(' ', $warning) : $warning) . '</div>';
    }

    public function displayConfirmation($string)
    {
        return '<div class="alert alert-success">' . htmlspecialchars($string) . '</div>';
    }
}

/** classes/PaymentModule.php: install() with currency/country/carrier restrictions, getCurrency(), validateOrder(). */
abstract class PaymentModule extends Module
{
    /** @var int */
    public $currentOrder;

    public function install()
    {
        if (!parent::install()) {
            return false;
        }
        // As PaymentModule::install() (classes/PaymentModule.php): addCheckboxCurrencyRestrictionsForModule(),
        // addCheckboxCountryRestrictionsForModule() (active countries) and addCheckboxCarrierRestrictionsForModule()
        // (every carrier's id_reference): everything allowed until the merchant unticks it in Payment > Preferences.
        foreach (Db::getInstance()->executeS('SELECT id_currency FROM `' . _DB_PREFIX_ . 'currency`') as $c) {
            Db::getInstance()->insert('module_currency', ['id_module' => (int) $this->id, 'id_currency' => (int) $c['id_currency']]);
        }
        foreach (Country::getCountries(1, true) as $c) {
            Db::getInstance()->insert('module_country', ['id_module' => (int) $this->id, 'id_shop' => 1, 'id_country' => (int) $c['id_country']]);
        }
        foreach (Carrier::getCarriers(1, false, false, false, null, Carrier::ALL_CARRIERS) as $c) {
            Db::getInstance()->insert('module_carrier', ['id_module' => (int) $this->id, 'id_shop' => 1, 'id_reference' => (int) $c['id_reference']], false, true, Db::INSERT_IGNORE);
        }

        return true;
    }

    public function getCurrency($current_id_currency = null)
    {
        return Db::getInstance()->executeS('SELECT c.id_currency FROM `' . _DB_PREFIX_ . 'module_currency` mc JOIN `' . _DB_PREFIX_
            . 'currency` c ON c.id_currency = mc.id_currency WHERE mc.id_module = ' . (int) $this->id);
    }

    /**
     * PaymentModule::validateOrder() (classes/PaymentModule.php; read: 9.2.1 in gRoussac/PrestaShop, and the 8.x
     * line as documented in /work/shared/reference/prestashop-modules.md), in the parts a payment module meets:
     * - the cart not loaded or already ordered, the module inactive, or a secure_key mismatch stop it: PrestaShop
     *   8.x die()s with the message (the caller gets an HTML error page), 9.x throws PrestaShopException;
     * - when the REQUESTED state is logable and the amount paid differs from the cart total (number_format at the
     *   context's computing precision), only the id of the state to set becomes PS_OS_ERROR: actionValidateOrder
     *   still receives the requested OrderState as 'orderStatus', and the payment row is still added;
     * - it creates the order, fires actionValidateOrder, then sets the state through OrderHistory (status hooks).
     */
    public function validateOrder($id_cart, $id_order_state, $amount_paid, $payment_method = 'Unknown', $message = null, $extra_vars = [], $currency_special = null, $dont_touch_amount = false, $secure_key = false, Shop $shop = null, ?string $order_reference = null)
    {
        $this->context->cart = new Cart((int) $id_cart);
        $this->context->customer = new Customer((int) $this->context->cart->id_customer);
        $this->context->language = new Language((int) $this->context->cart->id_lang);
        $this->context->shop = $shop ?: new Shop((int) $this->context->cart->id_shop);
        $id_currency = $currency_special ? (int) $currency_special : (int) $this->context->cart->id_currency;
        $this->context->currency = new Currency($id_currency);
        $computingPrecision = $this->context->getComputingPrecision();
        $stop = static function (string $error): void {
            if (version_compare(_PS_VERSION_, '9.0.0', '>=')) {
                throw new PrestaShopException($error);
            }
            StandIn::halt(Tools::displayError($error));
        };

        $order_status = new OrderState((int) $id_order_state, (int) $this->context->language->id);
        if (!Validate::isLoadedObject($order_status)) {
            PrestaShopLogger::addLog('PaymentModule::validateOrder - Order Status cannot be loaded', 3, null, 'Cart', (int) $id_cart, true);
            throw new PrestaShopException('Can\'t load Order status');
        }
        if (!$this->active) {
            PrestaShopLogger::addLog('PaymentModule::validateOrder - Module is not active', 3, null, 'Cart', (int) $id_cart, true);
            $stop('Module is not active');
        }
        $cart = $this->context->cart;
        if (!Validate::isLoadedObject($cart) || $cart->orderExists()) {
            $error = 'Cart cannot be loaded or an order has already been placed using this cart';
            PrestaShopLogger::addLog($error, 4, '0000001', 'Cart', (int) $cart->id);
            $stop($error);
        }
        if ($secure_key !== false && !hash_equals((string) $cart->secure_key, (string) $secure_key)) {
            PrestaShopLogger::addLog('PaymentModule::validateOrder - Secure key does not match', 3, null, 'Cart', (int) $id_cart, true);
            $stop('Secure key does not match');
        }
        // PrestaShop spends a while here (order details, stock, mails) before the order row exists: the window in which
        // two callers both pass orderExists(). The concurrency test widens it to make the race certain.
        $delay = (int) getenv('OCPIZZA_STANDIN_VALIDATE_DELAY_MS');
        if ($delay > 0) {
            usleep(min($delay, 2000) * 1000);
        }
        $cart_total_paid = (float) Tools::ps_round((float) $cart->getOrderTotal(true, Cart::BOTH), $computingPrecision);
        if ($order_status->logable && number_format($cart_total_paid, $computingPrecision) !== number_format((float) $amount_paid, $computingPrecision)) {
            PrestaShopLogger::addLog('PaymentModule::validateOrder - Total paid amount does not match cart total', 3, null, 'Cart', (int) $id_cart, true);
            $id_order_state = (int) Configuration::get('PS_OS_ERROR');
        }

        $order = new Order();
        $order->reference = $order_reference ?: Order::generateReference();
        $order->id_cart = (int) $cart->id;
        $order->id_customer = (int) $cart->id_customer;
        $order->id_currency = $id_currency;
        $order->id_address_delivery = (int) $cart->id_address_delivery;
        $order->id_carrier = (int) $cart->id_carrier;
        $order->id_lang = (int) $cart->id_lang;
        $order->current_state = 0;
        $order->module = $this->name;
        $order->payment = $payment_method;
        $order->secure_key = $cart->secure_key;
        $order->total_paid = $order->total_paid_tax_incl = $cart_total_paid;
        $order->total_paid_real = 0;
        $order->total_shipping_tax_incl = $cart->getOrderTotal(true, Cart::ONLY_SHIPPING);
        $order->total_discounts_tax_incl = $cart->getOrderTotal(true, Cart::ONLY_DISCOUNTS);
        $order->carrier_tax_rate = (float) $cart->shipping_rate;
        $order->valid = 0;
        $order->add();

        if ($message) {
            $msg = new Message();
            $msg->id_order = (int) $order->id;
            $msg->id_cart = (int) $cart->id;
            $msg->id_customer = (int) $cart->id_customer;
            $msg->message = strip_tags((string) $message);
            $msg->private = 1;
            $msg->add();
        }
        if ($order_status->logable) {
            $order->total_paid_real = (float) $amount_paid;
            $order->update();
            Db::getInstance()->insert('order_payment', ['order_reference' => $order->reference, 'amount' => (float) $amount_paid, 'payment_method' => $payment_method, 'transaction_id' => (string) ($extra_vars['transaction_id'] ?? '')]);
        }

        Hook::exec('actionValidateOrder', [
            'cart' => $cart,
            'order' => $order,
            'customer' => $this->context->customer,
            'currency' => $this->context->currency,
            'orderStatus' => $order_status,
        ]);

        $new_history = new OrderHistory();
        $new_history->id_order = (int) $order->id;
        $new_history->changeIdOrderState((int) $id_order_state, $order, true);
        $new_history->addWithemail(true, $extra_vars);

        $this->currentOrder = (int) $order->id;

        return true;
    }
}

/** classes/Hook.php: exec() calls hook<Name>() of the modules registered for the hook (dev mode: a missing method is an error). */
class Hook
{
    /**
     * Calls hook<Name>() of every module registered for the hook. As PrestaShop in dev mode, a module registered
     * without the method is an error.
     */
    public static function exec($hook_name, $hook_args = [], $id_module = null, $array_return = false, $check_exceptions = true, $use_push = false, $id_shop = null, $chain = false)
    {
        $rows = Db::getInstance()->executeS('SELECT module FROM `' . _DB_PREFIX_ . 'hook_module` WHERE hook = \'' . pSQL($hook_name) . '\' ORDER BY module');
        $out = [];
        foreach ($rows as $row) {
            $module = Module::getInstanceByName($row['module']);
            if (!$module || !$module->active) {
                continue;
            }
            $method = 'hook' . ucfirst($hook_name);
            if (!method_exists($module, $method)) {
                throw new PrestaShopException(sprintf('Hook with the name %s has been registered but the method %s does not exist in module %s', $hook_name, $method, $row['module']));
            }
            $out[$row['module']] = $module->{$method}($hook_args);
        }

        return $array_return ? $out : implode('', array_filter($out, 'is_string'));
    }
}

/** classes/helper/HelperForm.php: generateForm() (here: a JSON description instead of the Smarty form). */
class HelperForm
{
    public $module;
    public $name_controller;
    public $identifier;
    public $token;
    public $currentIndex;
    public $submit_action;
    public $default_form_language;
    public $tpl_vars = [];
    /** @var array stand-in only: what generateForm() was given */
    public static $lastForms = [];

    /** Instead of HTML: a JSON description of the form and of the values sent to the browser. */
    public function generateForm($fields_form)
    {
        self::$lastForms = $fields_form;

        return '<form data-standin="' . htmlspecialchars((string) json_encode([
            'submit_action' => $this->submit_action,
            'token' => $this->token,
            'currentIndex' => $this->currentIndex,
            'values' => $this->tpl_vars['fields_value'] ?? [],
        ]), ENT_QUOTES) . '"></form>';
    }
}
