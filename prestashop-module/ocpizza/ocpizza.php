<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

spl_autoload_register(static function ($class) {
    // The module's classes (namespace OCPizzaModule\ → src/); no composer in the shipped module.
    $prefix = 'OCPizzaModule\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require_once $file;
        }
    }
});

use OCPizzaModule\Adapter\OcpizzaExtensionGateway;
use OCPizzaModule\Adapter\SystemClock;
use OCPizzaModule\Config\InvalidSetting;
use OCPizzaModule\Config\Keys;
use OCPizzaModule\Config\Settings;
use OCPizzaModule\Config\SettingsValidator;
use OCPizzaModule\Config\StateMappingConfig;
use OCPizzaModule\Contract\ExtensionGateway;
use OCPizzaModule\Ipn\IpnProcessor;
use OCPizzaModule\Ipn\StateIds;
use OCPizzaModule\Order\StatusPath;
use OCPizzaModule\Outbox\OutboxPublisher;
use OCPizzaModule\Payment\FormBuilder;
use OCPizzaModule\Payment\Money;
use OCPizzaModule\Payment\PaymentRequest;
use OCPizzaModule\Payment\TransactionIdAllocator;
use OCPizzaModule\Refund\BackOfficeRefunds;
use OCPizzaModule\Refund\RefundRequest;
use OCPizzaModule\Routing\AvailabilityCheck;
use OCPizzaModule\Routing\Route;
use OCPizzaModule\Routing\RoutingException;
use OCPizzaModule\Shop\DbNamedLock;
use OCPizzaModule\Shop\DbTransactionIdStore;
use OCPizzaModule\Shop\OrderLinks;
use OCPizzaModule\Shop\OrderRecorder;
use OCPizzaModule\Shop\PrestaShopConfig;
use OCPizzaModule\Shop\PrestaShopLog;
use OCPizzaModule\Shop\PrestaShopOrders;
use OCPizzaModule\Shop\RefundLedger;
use OCPizzaModule\Status\StatusProbe;
use PrestaShop\PrestaShop\Core\Payment\PaymentOption;

class Ocpizza extends PaymentModule
{
    public const OFFLINE_METHODS = ['card_on_delivery', 'cash_on_delivery', 'at_restaurant'];

    /** Provider of the payment row recorded when an offline order reaches a paid state. */
    private const OFFLINE_PROVIDERS = ['card_on_delivery' => 'card_terminal', 'cash_on_delivery' => 'cash', 'at_restaurant' => 'restaurant'];

    /** The hooks the module registers (install and upgrades). */
    public const HOOKS = ['paymentOptions', 'displayPaymentReturn', 'actionValidateOrder', 'actionOrderStatusPostUpdate',
        // Back-office refunds (issue 13): the credit slip of a standard/partial refund, and the order page's block.
        'actionOrderSlipAdd', 'displayAdminOrderMain'];

    /** @var ExtensionGateway|null */
    private $gateway;
    /** @var bool outbox publishing requested during this request */
    private $publishPending = false;
    /** @var bool */
    private $shutdownRegistered = false;
    /** @var array<string, array> checkCart() results of this request */
    private $cartChecks = [];

    public function __construct()
    {
        $this->name = 'ocpizza';
        $this->tab = 'payments_gateways';
        $this->version = '1.2.0';
        $this->author = 'OC Pizza';
        $this->need_instance = 0;
        $this->ps_versions_compliancy = ['min' => '8.1.0', 'max' => '9.99.99'];
        $this->bootstrap = true;
        $this->controllers = ['redirect', 'validation', 'ipn', 'return', 'cron'];
        $this->currencies = true;
        $this->currencies_mode = 'checkbox';

        parent::__construct();

        $this->displayName = $this->l('OC Pizza payments');
        $this->description = $this->l('Card payment with SogeCommerce, card or cash on delivery, payment at the restaurant; orders sent to OC Pizza\'s restaurants.');
        $this->confirmUninstall = $this->l('Uninstall OC Pizza payments? Its order states are kept.');
        if (!extension_loaded('ocpizza')) {
            $this->warning = $this->l('The ocpizza PHP extension is not loaded: payments are disabled.');
        }
    }

    // ---- install / uninstall ---------------------------------------------------------------------------------

    public function install()
    {
        return parent::install()
            && $this->registerHook(self::HOOKS)
            && $this->installTables()
            && $this->installOrderStates()
            && $this->installConfiguration();
    }

    public function uninstall()
    {
        foreach (Keys::REMOVABLE as $key) {
            Configuration::deleteByName($key);
        }
        // Order states stay (orders use them; PrestaShop's order page breaks on a deleted state) with their ids.
        $db = Db::getInstance();
        foreach (['ocpizza_transaction', 'ocpizza_cart', 'ocpizza_order', 'ocpizza_refused', 'ocpizza_refund'] as $table) {
            $db->execute('DROP TABLE IF EXISTS `' . _DB_PREFIX_ . bqSQL($table) . '`');
        }

        return parent::uninstall();
    }

    /** The side tables (CREATE TABLE IF NOT EXISTS: install and upgrades both call it). */
    public function installTables(): bool
    {
        $sql = (string) file_get_contents(__DIR__ . '/sql/install.sql');
        $sql = str_replace(['PREFIX_', 'ENGINE_TYPE'], [_DB_PREFIX_, _MYSQL_ENGINE_], $sql);
        foreach (array_filter(array_map('trim', explode(';', $sql))) as $statement) {
            if (!Db::getInstance()->execute($statement)) {
                return false;
            }
        }

        return true;
    }

    /** The module's order states: [config key, French name, English name, colour, flags]. */
    private function stateDefinitions(): array
    {
        return [
            [Keys::OS_PENDING, 'Paiement en attente d\'autorisation', 'Payment awaiting authorisation', '#4169E1', []],
            [Keys::OS_TO_VALIDATE, 'Paiement à valider', 'Payment to validate', '#FF8C00', []],
            [Keys::OS_AWAITING_OFFLINE, 'En attente de paiement à la livraison ou au retrait', 'Awaiting payment on delivery or pickup', '#34209E', []],
            [Keys::OS_PREPARING, 'En préparation', 'Being prepared', '#FF6600', ['logable' => 1]],
            [Keys::OS_READY, 'Prête', 'Ready', '#32CD32', ['logable' => 1]],
            [Keys::OS_DELIVERING, 'En livraison', 'Out for delivery', '#8A2BE2', ['logable' => 1, 'shipped' => 1]],
            // PrestaShop's own PS_OS_REFUND is the full refund; part of the money given back has no built-in state.
            [Keys::OS_PARTIALLY_REFUNDED, 'Remboursement partiel', 'Partially refunded', '#EC2E15', ['logable' => 1, 'paid' => 1]],
        ];
    }

    /** Creates the states that do not exist yet (install and upgrade both call this; ids kept in Configuration). */
    public function installOrderStates(): bool
    {
        foreach ($this->stateDefinitions() as [$key, $fr, $en, $color, $flags]) {
            $existing = new OrderState((int) Configuration::get($key));
            if (Validate::isLoadedObject($existing) && !$existing->deleted) {
                continue;
            }
            $state = new OrderState();
            $state->name = [];
            foreach (Language::getLanguages(false) as $lang) {
                $state->name[(int) $lang['id_lang']] = $lang['iso_code'] === 'fr' ? $fr : $en;
            }
            $state->module_name = $this->name;
            $state->color = $color;
            $state->send_email = false;
            $state->hidden = false;
            $state->unremovable = true;
            $state->logable = (bool) ($flags['logable'] ?? 0);
            $state->paid = (bool) ($flags['paid'] ?? 0);
            $state->invoice = false;
            $state->delivery = false;
            $state->shipped = (bool) ($flags['shipped'] ?? 0);
            $state->pdf_invoice = false;
            $state->pdf_delivery = false;
            if (!$state->add()) {
                return false;
            }
            Configuration::updateValue($key, (int) $state->id);
        }

        return true;
    }

    private function installConfiguration(): bool
    {
        $defaults = [
            Keys::MODE => 'TEST',
            Keys::ALGORITHM => 'HMAC-SHA-256',
            Keys::GATEWAY_URL => Keys::DEFAULT_GATEWAY_URL,
            Keys::PICKUP_CARRIERS => '{}',
            Keys::STATE_MAP => (new StateMappingConfig(array_filter([
                (int) Configuration::get('PS_OS_PAYMENT') => 'accepted',
                (int) Configuration::get(Keys::OS_AWAITING_OFFLINE) => 'accepted',
                (int) Configuration::get(Keys::OS_PREPARING) => 'in_preparation',
                (int) Configuration::get(Keys::OS_READY) => 'ready',
                (int) Configuration::get(Keys::OS_DELIVERING) => 'out_for_delivery',
                (int) Configuration::get('PS_OS_DELIVERED') => 'delivered',
                (int) Configuration::get('PS_OS_CANCELED') => 'cancelled',
                (int) Configuration::get('PS_OS_ERROR') => 'cancelled',
            ], static function ($v, $k) { return $k > 0; }, ARRAY_FILTER_USE_BOTH)))->toJson(),
        ];
        foreach ($defaults as $key => $value) {
            if (Configuration::get($key) === false) {
                Configuration::updateValue($key, $value);
            }
        }
        if ((string) Configuration::get(Keys::CRON_TOKEN) === '') {
            Configuration::updateValue(Keys::CRON_TOKEN, \OCPizzaModule\Security\TokenGuard::generate());
        }

        return true;
    }

    // ---- services ------------------------------------------------------------------------------------------

    public function settings(): Settings
    {
        return new Settings(new PrestaShopConfig());
    }

    public function gateway(): ExtensionGateway
    {
        if ($this->gateway === null) {
            $this->gateway = new OcpizzaExtensionGateway($this->settings()->databaseUrl());
        }

        return $this->gateway;
    }

    /** Replaces the extension gateway (the stand-in tests use an in-memory one for OCPizza_DB). */
    public function setGateway(ExtensionGateway $gateway): void
    {
        $this->gateway = $gateway;
    }

    public function logger(): PrestaShopLog
    {
        return new PrestaShopLog();
    }

    public function links(): OrderLinks
    {
        return new OrderLinks(Db::getInstance());
    }

    public function recorder(): OrderRecorder
    {
        return new OrderRecorder($this->settings(), $this->gateway(), $this->links());
    }

    public function cartLock(): DbNamedLock
    {
        return new DbNamedLock(Db::getInstance());
    }

    public function stateIds(): StateIds
    {
        return new StateIds(
            (int) Configuration::get('PS_OS_PAYMENT'),
            (int) Configuration::get(Keys::OS_PENDING),
            (int) Configuration::get(Keys::OS_TO_VALIDATE),
            (int) Configuration::get('PS_OS_CANCELED'),
            (int) Configuration::get('PS_OS_ERROR'),
            (int) Configuration::get('PS_OS_REFUND'),
            (int) Configuration::get(Keys::OS_PARTIALLY_REFUNDED)
        );
    }

    public function ipnProcessor(): IpnProcessor
    {
        $orders = new PrestaShopOrders($this, $this->recorder(), $this->l('Card (SogeCommerce)'));

        return new IpnProcessor($this->settings(), $this->gateway(), $orders, $this->cartLock(), $this->stateIds(), $this->logger());
    }

    public function isPaymentAvailable(): bool
    {
        return $this->active && $this->gateway()->isLoaded();
    }

    // ---- checkout -------------------------------------------------------------------------------------------

    /**
     * The restaurant of the cart and the lines it cannot make now.
     *
     * @return array{route: Route, unavailable: \OCPizzaModule\Routing\UnavailableLine[]}
     *
     * @throws RoutingException when no restaurant takes the cart; other exceptions when OCPizza_DB is unreachable
     */
    public function checkCart(Cart $cart): array
    {
        // The payment step asks twice (problems, then options): one look-up per cart state and request.
        $cacheKey = (int) $cart->id . '/' . (int) $cart->id_carrier . '/' . (int) $cart->id_address_delivery . '/' . md5((string) json_encode($cart->getProducts()));
        if (isset($this->cartChecks[$cacheKey])) {
            return $this->cartChecks[$cacheKey];
        }
        $route = $this->recorder()->route((int) $cart->id_carrier, (int) $cart->id_address_delivery);
        $lines = [];
        foreach ($cart->getProducts() as $p) {
            $lines[] = ['name' => (string) $p['name'], 'sku' => (string) $p['reference']];
        }
        // A code from the configuration reaches an ascii_bin column: checked here, never sent as is (issue 14).
        \OCPizzaModule\Order\AsciiFields::restaurant($route->restaurant);
        $unavailable = (new AvailabilityCheck())->unavailable($lines, $this->gateway()->availableProducts($route->restaurant));

        return $this->cartChecks[$cacheKey] = ['route' => $route, 'unavailable' => $unavailable];
    }

    /** Translated explanation of why the cart cannot be paid, one sentence per problem. @return string[] */
    public function cartProblems(Cart $cart): array
    {
        try {
            $check = $this->checkCart($cart);
        } catch (RoutingException $e) {
            switch ($e->reason) {
                case RoutingException::UNKNOWN_POSTCODE:
                    return [sprintf($this->l('None of our restaurants delivers to postcode %s yet. Choose takeaway at a restaurant.'), $e->value)];
                case RoutingException::UNKNOWN_RESTAURANT:
                    return [$this->l('The pickup restaurant of this carrier is not open for orders.')];
                default:
                    return [$this->l('Please enter a delivery address.')];
            }
        } catch (\Throwable $e) {
            $this->logger()->error('Checkout: restaurant check failed: ' . get_class($e) . ': ' . mb_substr($e->getMessage(), 0, 200));

            return [$this->l('Online ordering is temporarily unavailable. Please try again in a few minutes.')];
        }
        $out = [];
        foreach ($check['unavailable'] as $line) {
            $out[] = $line->reason === 'missing_sku'
                ? sprintf($this->l('"%s" cannot be ordered online.'), $line->name)
                : sprintf($this->l('"%1$s" cannot be prepared by %2$s right now (ingredients out of stock). Remove it from your cart to order.'), $line->name, $check['route']->restaurantName);
        }

        return $out;
    }

    public function hookPaymentOptions($params)
    {
        $cart = $params['cart'] ?? $this->context->cart;
        if (!$this->isPaymentAvailable() || !Validate::isLoadedObject($cart) || !$this->isAllowedForCart($cart)) {
            return [];
        }
        $problems = $this->cartProblems($cart);
        if ($problems !== []) {
            $this->context->smarty->assign(['ocpizza_problems' => $problems]);
            $info = new PaymentOption();
            $info->setModuleName($this->name)
                ->setCallToActionText($this->l('Your order cannot be paid yet'))
                ->setAction($this->context->link->getPageLink('cart', true, null, ['action' => 'show']))
                ->setAdditionalInformation($this->fetch('module:ocpizza/views/templates/hook/unavailable.tpl'));

            return [$info];
        }
        $route = $this->checkCart($cart)['route'];
        $options = [];
        // The checkout posts each option's inputs to its action (themes/classic checkout/_partials/steps/payment.tpl):
        // the static token makes the POST one the shop's own page sent.
        $token = ['type' => 'hidden', 'name' => 'token', 'value' => Tools::getToken(false)];
        if ($this->settings()->isCardPaymentReady()) {
            $options[] = (new PaymentOption())->setModuleName($this->name)
                ->setCallToActionText($this->l('Pay by card now (secure SogeCommerce page)'))
                ->setAction($this->context->link->getModuleLink($this->name, 'redirect', [], true))
                ->setInputs([$token]);
        }
        $offline = $route->fulfilment === 'takeaway'
            ? ['at_restaurant' => $this->l('Pay at the restaurant when you pick up your order')]
            : ['card_on_delivery' => $this->l('Pay by card on delivery'), 'cash_on_delivery' => $this->l('Pay cash on delivery')];
        foreach ($offline as $method => $label) {
            $options[] = (new PaymentOption())->setModuleName($this->name)
                ->setCallToActionText($label)
                ->setAction($this->context->link->getModuleLink($this->name, 'validation', ['method' => $method], true))
                ->setInputs([['type' => 'hidden', 'name' => 'method', 'value' => $method], $token]);
        }

        return $options;
    }

    /**
     * The restrictions PrestaShop applies before calling paymentOptions (Hook::getHookModuleExecList in
     * classes/Hook.php, 8.x and 9.x): the cart's currency (module_currency), the country (module_country; the
     * delivery address's, which FrontController::init() puts in the context by default), the customer's groups
     * (module_group) and the cart's carrier reference (module_carrier). The validation and redirect controllers,
     * which a customer can reach without going through the payment step, check the same.
     */
    public function isAllowedForCart(Cart $cart): bool
    {
        if (!$this->checkCurrency($cart)) {
            return false;
        }
        $db = Db::getInstance();
        $shop = (int) $this->context->shop->id;
        $module = (int) $this->id;
        $address = new Address((int) $cart->id_address_delivery);
        $country = Validate::isLoadedObject($address) ? (int) $address->id_country : (int) ($this->context->country->id ?? 0);
        if (!$db->getValue('SELECT 1 FROM `' . _DB_PREFIX_ . 'module_country` WHERE id_module = ' . $module . ' AND id_shop = ' . $shop . ' AND id_country = ' . $country, false)) {
            return false;
        }
        $carrier = new Carrier((int) $cart->id_carrier);
        if (Validate::isLoadedObject($carrier)
            && !$db->getValue('SELECT 1 FROM `' . _DB_PREFIX_ . 'module_carrier` WHERE id_module = ' . $module . ' AND id_shop = ' . $shop . ' AND id_reference = ' . (int) $carrier->id_reference, false)) {
            return false;
        }
        $groups = array_map('intval', Customer::getGroupsStatic((int) $cart->id_customer)) ?: [0];

        return (bool) $db->getValue('SELECT 1 FROM `' . _DB_PREFIX_ . 'module_group` WHERE id_module = ' . $module . ' AND id_shop = ' . $shop
            . ' AND id_group IN (' . implode(',', $groups) . ')', false);
    }

    /**
     * A payment step submission: POST with the customer's static token (Tools::getToken(false), the one
     * FrontController::isTokenValid() checks), compared in constant time whatever PS_TOKEN_ENABLE says — a link or
     * a form on another site cannot place an order from a signed-in customer's cart.
     */
    public function isPaymentSubmission(): bool
    {
        return strtoupper((string) ($_SERVER['REQUEST_METHOD'] ?? '')) === 'POST'
            && \OCPizzaModule\Security\TokenGuard::matches(Tools::getToken(false), Tools::getValue('token'));
    }

    public function checkCurrency(Cart $cart): bool
    {
        $currency = new Currency((int) $cart->id_currency);
        foreach ((array) $this->getCurrency((int) $cart->id_currency) as $allowed) {
            if ((int) $currency->id === (int) $allowed['id_currency']) {
                return true;
            }
        }

        return false;
    }

    /** The signed vads_* fields for the cart. */
    public function buildPaymentForm(Cart $cart): array
    {
        $currency = new Currency((int) $cart->id_currency);
        $customer = new Customer((int) $cart->id_customer);
        $link = $this->context->link;
        $request = new PaymentRequest(
            (int) $cart->id,
            Money::toMinor($cart->getOrderTotal(true, Cart::BOTH), (int) $currency->precision),
            sprintf('%03d', (int) $currency->iso_code_num),
            $link->getModuleLink($this->name, 'return', ['id_cart' => (int) $cart->id, 'key' => $customer->secure_key], true),
            $link->getModuleLink($this->name, 'ipn', [], true)
        );
        $request->customer = [
            'id' => (string) $customer->id,
            'email' => (string) $customer->email,
            'first_name' => (string) $customer->firstname,
            'last_name' => (string) $customer->lastname,
        ];
        $request->language = $this->context->language->iso_code === 'fr' ? 'fr' : 'en';
        $ids = new TransactionIdAllocator(new SystemClock(), new DbTransactionIdStore(Db::getInstance()));

        return (new FormBuilder($this->settings(), $this->gateway(), $ids))->build($request);
    }

    public function hookDisplayPaymentReturn($params)
    {
        $order = $params['order'] ?? null;
        if (!$this->active || !Validate::isLoadedObject($order) || $order->module !== $this->name) {
            return '';
        }
        $this->context->smarty->assign([
            'ocpizza_reference' => $order->reference,
            'ocpizza_awaiting_payment' => (int) $order->getCurrentState() === (int) Configuration::get(Keys::OS_AWAITING_OFFLINE),
        ]);

        return $this->fetch('module:ocpizza/views/templates/hook/payment_return.tpl');
    }

    // ---- order life -----------------------------------------------------------------------------------------

    /** States in which an order is not sent to the restaurants (payment failed or cancelled before recording). */
    private function unrecordableStates(): array
    {
        return [(int) Configuration::get('PS_OS_ERROR'), (int) Configuration::get('PS_OS_CANCELED')];
    }

    public function hookActionValidateOrder($params)
    {
        $order = $params['order'] ?? null;
        if (!Validate::isLoadedObject($order) || $order->module !== $this->name) {
            return;
        }
        $state = $params['orderStatus'] ?? null;
        if ($state instanceof OrderState && in_array((int) $state->id, $this->unrecordableStates(), true)) {
            $this->logger()->info('Order ' . (int) $order->id . ' created in state ' . (int) $state->id . ': not sent to the restaurant');

            return;
        }
        try {
            $this->recorder()->record($order);
        } catch (\OCPizzaModule\Order\OrderRefused $e) {
            // Refused as invalid (e.g. its shop order id is already recorded for a different order): kept unlinked,
            // listed with the reason on the configuration page; never linked to another order.
            $this->logger()->error('Order ' . (int) $order->id . ' not sent to the restaurants, kept unlinked: ' . mb_substr($e->getMessage(), 0, 200));
        } catch (\Throwable $e) {
            // Never break validateOrder: the IPN retries (non-200) and the cron records what is missing.
            $this->logger()->error('Order ' . (int) $order->id . ' not recorded in OCPizza_DB: ' . get_class($e) . ': ' . mb_substr($e->getMessage(), 0, 200));
        }
        $this->publishLater();
    }

    public function hookActionOrderStatusPostUpdate($params)
    {
        $orderId = (int) ($params['id_order'] ?? 0);
        $state = $params['newOrderStatus'] ?? null;
        if ($orderId <= 0 || !$state instanceof OrderState) {
            return;
        }
        $order = new Order($orderId);
        if (!Validate::isLoadedObject($order) || $order->module !== $this->name) {
            return;
        }
        $stateId = (int) $state->id;
        try {
            $links = $this->links();
            $link = $links->find($orderId);
            if ($link === null) {
                if (in_array($stateId, $this->unrecordableStates(), true)) {
                    return;
                }
                $link = $this->recorder()->record($order);
            }
            $target = $this->settings()->stateMapping()->statusFor($stateId);
            if ($target !== null) {
                // From where OCPizza_DB really is, not where the module last left it: the restaurants move orders
                // through the bridge's staff API, and the state the bridge posts back here finds OCPizza_DB
                // already there or further on: nothing to write (issue 12, no loop).
                $current = $this->gateway()->orderStatus($orderId) ?? $link['oc_status'];
                $steps = StatusPath::steps($current, $target, $link['fulfilment']);
                if ($steps === [] && $current !== $link['oc_status']) {
                    $links->setStatus($orderId, $current);
                    $this->logger()->info('Order ' . $orderId . ' state ' . $stateId . ': OCPizza_DB is already ' . $current . ', nothing to write');
                }
                foreach ($steps as $status) {
                    $this->gateway()->setStatus($orderId, $status, 'PrestaShop: ' . $this->stateName($state));
                    $links->setStatus($orderId, $status);
                }
            }
            $method = $links->paymentMethod((int) $order->id_cart);
            if ($state->paid && isset(self::OFFLINE_PROVIDERS[(string) $method])) {
                $this->recordOfflinePayment($order, (string) $method);
            }
        } catch (\Throwable $e) {
            $this->logger()->error('Order ' . $orderId . ' state ' . $stateId . ' not sent to OCPizza_DB: ' . get_class($e) . ': ' . mb_substr($e->getMessage(), 0, 200));
        }
        $this->refundOnStateChange($order, $state);
        $this->publishLater();
    }

    private function stateName(OrderState $state): string
    {
        $name = $state->name;
        if (is_array($name)) {
            $name = $name[(int) Configuration::get('PS_LANG_DEFAULT')] ?? reset($name);
        }

        return mb_substr((string) $name, 0, 100);
    }

    /** Money taken at the door or the counter, once the merchant sets a paid state. */
    private function recordOfflinePayment(Order $order, string $method): void
    {
        $currency = new Currency((int) $order->id_currency);
        $payment = [
            'shop_order_id' => (int) $order->id,
            'provider' => self::OFFLINE_PROVIDERS[$method],
            'transaction_key' => 'prestashop-order-' . (int) $order->id . '-paid',
            'amount_cents' => Money::toMinor($order->total_paid_tax_incl, (int) $currency->precision),
            'currency' => (string) $currency->iso_code,
            'status' => 'paid',
            'raw_status' => 'PS_STATE_' . (int) $order->getCurrentState(),
            'occurred_at' => gmdate('Y-m-d\TH:i:s\Z'),
        ];
        \OCPizzaModule\Order\AsciiFields::payment($payment);
        $this->gateway()->recordPayment($payment);
    }

    /**
     * Publishing happens after the response is sent (fastcgi_finish_request), so the customer and the gateway
     * never wait for the bridge; the extension bounds it by a short timeout anyway.
     */
    public function publishLater(): void
    {
        $this->publishPending = true;
        if (!$this->shutdownRegistered) {
            $this->shutdownRegistered = true;
            register_shutdown_function(function () {
                if ($this->publishPending && function_exists('fastcgi_finish_request')) {
                    fastcgi_finish_request();
                }
                $this->flushOutbox();
            });
        }
    }

    /** Publishes now if this request asked for it. @return array|null the extension's counts */
    public function flushOutbox(): ?array
    {
        if (!$this->publishPending) {
            return null;
        }
        $this->publishPending = false;

        return $this->publishOutboxNow(20);
    }

    /** Records the orders left unrecorded, then publishes pending events (cron and CLI). */
    public function publishOutboxNow(int $max = 100): ?array
    {
        $links = $this->links();
        foreach ($links->unrecorded($this->name, $this->unrecordableStates(), 20) as $orderId) {
            try {
                $this->recorder()->record(new Order($orderId));
            } catch (\Throwable $e) {
                $this->logger()->warning('Order ' . $orderId . ' still not recorded: ' . get_class($e));
            }
        }

        return (new OutboxPublisher($this->settings(), $this->gateway(), $this->logger()))->publish($max);
    }

    // ---- back-office refunds (issue 13) -----------------------------------------------------------------------

    public function refunds(): BackOfficeRefunds
    {
        return new BackOfficeRefunds($this->settings(), $this->gateway(), new RefundLedger(Db::getInstance()), $this->cartLock(), $this->logger());
    }

    /** A card payment made through this module (the IPN creates those orders; offline methods are remembered per cart). */
    private function isCardOrder(Order $order): bool
    {
        return Validate::isLoadedObject($order) && $order->module === $this->name
            && !in_array((string) $this->links()->paymentMethod((int) $order->id_cart), self::OFFLINE_METHODS, true);
    }

    /**
     * A credit slip was created (standard or partial refund): PrestaShop's OrderSlipCreator::create() (8.x/9.x,
     * src/Adapter/Order/Refund/OrderSlipCreator.php) fires actionOrderSlipAdd right after adding the slip, with
     * 'order', 'productList' and 'qtyList' but not the slip: it is the order's newest. Asked of the gateway: the
     * slip's amount incl. tax plus its shipping (OrderSlip::$amount + $shipping_cost_amount), less the order's
     * vouchers when the merchant chose "product prices excluding vouchers" (order_slip_type 1), as the slip reads.
     * A refund given as a voucher (cancel_product[voucher]) is no money back: nothing is asked.
     */
    public function hookActionOrderSlipAdd($params)
    {
        $order = $params['order'] ?? null;
        if (!$order instanceof Order || !$this->isCardOrder($order)) {
            return;
        }
        $ledger = new RefundLedger(Db::getInstance());
        $slip = new OrderSlip($ledger->newestSlipId((int) $order->id));
        if (!Validate::isLoadedObject($slip)) {
            return;
        }
        $currency = new Currency((int) $order->id_currency);
        $decimals = (int) $currency->precision;
        $amount = (float) $slip->amount + (float) $slip->shipping_cost_amount;
        if ((int) $slip->order_slip_type === 1) {
            $amount -= (float) $order->total_discounts_tax_incl;
        }
        $request = RefundRequest::slip(
            (int) $order->id,
            (int) $slip->id,
            Money::toMinor(max(0.0, $amount), $decimals),
            (string) $currency->iso_code,
            $ledger->paymentUuid((string) $order->reference),
            Money::toMinor($order->total_paid_tax_incl, $decimals),
            'PrestaShop credit slip ' . (int) $slip->id,
            $this->employeeName()
        );
        $cancel = Tools::getValue('cancel_product');
        try {
            if (is_array($cancel) && !empty($cancel['voucher'])) {
                $ledger->insert([
                    'id_order' => $request->orderId, 'refund_key' => $request->key, 'id_order_slip' => $request->slipId,
                    'amount_cents' => $request->amountCents, 'currency' => $request->currency, 'state' => RefundLedger::NOT_SENT,
                    'error_code' => 'voucher', 'reason' => $request->reason, 'requested_by' => $request->requestedBy,
                ]);

                return;
            }
            $this->refunds()->request($request);
        } catch (\Throwable $e) {
            // Never break PrestaShop's refund: the order page's block says what the module knows.
            $this->logger()->error('Refund of order ' . (int) $order->id . ' (slip ' . (int) $slip->id . '): ' . get_class($e) . ': ' . mb_substr($e->getMessage(), 0, 200));
        }
        $this->publishLater();
    }

    /**
     * An employee moved a card order to Cancelled (PS_OS_CANCELED) or Refunded (PS_OS_REFUND): what is left to refund
     * is asked of the gateway, once per order and state. Only from the back office (an employee in the context): the
     * IPN sets the refund states itself when the gateway notifies a refund, which must not be asked back.
     */
    public function refundOnStateChange(Order $order, OrderState $state): void
    {
        $stateId = (int) $state->id;
        $employee = $this->context->employee ?? null;
        if (!in_array($stateId, [(int) Configuration::get('PS_OS_CANCELED'), (int) Configuration::get('PS_OS_REFUND')], true)
            || !Validate::isLoadedObject($employee) || !$this->isCardOrder($order) || !$order->hasBeenPaid()) {
            return;
        }
        try {
            $currency = new Currency((int) $order->id_currency);
            $decimals = (int) $currency->precision;
            $this->refunds()->request(RefundRequest::stateChange(
                (int) $order->id,
                $stateId,
                (string) $currency->iso_code,
                (new RefundLedger(Db::getInstance()))->paymentUuid((string) $order->reference),
                Money::toMinor($order->total_paid_tax_incl, $decimals),
                'PrestaShop: ' . $this->stateName($state),
                $this->employeeName()
            ));
        } catch (\Throwable $e) {
            $this->logger()->error('Refund of order ' . (int) $order->id . ' (state ' . $stateId . '): ' . get_class($e) . ': ' . mb_substr($e->getMessage(), 0, 200));
        }
    }

    /** Confirmed refunds OCPizza_DB missed are recorded again (cron, CLI). */
    public function retryRefunds(): int
    {
        try {
            return $this->refunds()->retryUnrecorded(20);
        } catch (\Throwable $e) {
            $this->logger()->warning('Refunds not retried: ' . get_class($e));

            return 0;
        }
    }

    private function employeeName(): string
    {
        $e = $this->context->employee ?? null;
        if (!Validate::isLoadedObject($e)) {
            return '';
        }

        return mb_substr('employee ' . (int) $e->id . ' ' . trim($e->firstname . ' ' . $e->lastname), 0, 120);
    }

    /**
     * The order page (PrestaShop 8/9 Symfony page, src/PrestaShopBundle/Resources/views/Admin/Sell/Order/Order/
     * view.html.twig: renderhook('displayAdminOrderMain', {'id_order': …}), between details and payments): the
     * order's refund requests and their outcome, with what to do when the gateway refused or did not answer.
     */
    public function hookDisplayAdminOrderMain($params)
    {
        $orderId = (int) ($params['id_order'] ?? 0);
        $order = new Order($orderId);
        if (!Validate::isLoadedObject($order) || $order->module !== $this->name) {
            return '';
        }
        $rows = (new RefundLedger(Db::getInstance()))->forOrder($orderId);
        if ($rows === []) {
            return '';
        }
        $decimals = (int) (new Currency((int) $order->id_currency))->precision;
        $list = [];
        foreach ($rows as $r) {
            $list[] = [
                'date' => (string) $r['date_add'],
                'what' => $r['id_order_slip'] !== null && (int) $r['id_order_slip'] > 0
                    ? sprintf($this->l('Credit slip %d'), (int) $r['id_order_slip'])
                    : $this->l('Order state change'),
                'amount' => Money::fromMinor((int) $r['amount_cents'], $decimals) . ' ' . $r['currency'],
                'ok' => in_array($r['state'], [RefundLedger::RECORDED, RefundLedger::CONFIRMED], true),
                'warning' => in_array($r['state'], [RefundLedger::REFUSED, RefundLedger::UNKNOWN, RefundLedger::REQUESTED, RefundLedger::STORE_REFUSED], true)
                    || ($r['state'] === RefundLedger::NOT_SENT && !in_array($r['error_code'], ['nothing_left', 'voucher'], true)),
                'message' => $this->refundMessage($r),
                'by' => (string) $r['requested_by'],
            ];
        }
        $this->context->smarty->assign(['ocpizza_refunds' => $list]);

        return $this->fetch('module:ocpizza/views/templates/hook/admin_order_refunds.tpl');
    }

    /** What the merchant reads for a refund row (translated). */
    public function refundMessage(array $r): string
    {
        $detail = (string) $r['message'];
        switch ((string) $r['state']) {
            case RefundLedger::RECORDED:
                return (string) $r['resolution'] === 'refund'
                    ? sprintf($this->l('Refunded by SogeCommerce (transaction %s).'), $r['answer_uuid'])
                    : sprintf($this->l('The payment was not captured yet: SogeCommerce cancelled this amount (transaction %s).'), $r['answer_uuid']);
            case RefundLedger::CONFIRMED:
                return $this->l('Given back by SogeCommerce; not yet recorded in OCPizza_DB (retried automatically).');
            case RefundLedger::PENDING:
                return $this->l('Accepted by SogeCommerce, not confirmed yet: its notification will record it.');
            case RefundLedger::REFUSED:
                return sprintf($this->l('Refused by SogeCommerce: %s. Nothing was given back: refund the customer from SogeCommerce\'s back office or another way.'), $detail);
            case RefundLedger::STORE_REFUSED:
                return sprintf($this->l('Given back by SogeCommerce, but OCPizza_DB refused to record it: %s'), $detail);
            case RefundLedger::NOT_SENT:
                switch ((string) $r['error_code']) {
                    case 'rest_not_configured':
                        return $this->l('Nothing asked of SogeCommerce: the REST password of the current mode is not set (Modules > OC Pizza payments > Configure). Refund the customer from SogeCommerce\'s back office.');
                    case 'no_transaction':
                        return $this->l('Nothing asked of SogeCommerce: the card payment\'s transaction is not known. Refund the customer from SogeCommerce\'s back office.');
                    case 'unresolved':
                        return $this->l('Nothing asked of SogeCommerce: an earlier refund of this order has no known outcome. Check it in SogeCommerce\'s back office first.');
                    case 'nothing_left':
                        return $this->l('Nothing left to refund.');
                    case 'voucher':
                        return $this->l('Refunded as a voucher: nothing asked of SogeCommerce.');
                    case 'not_sent_error':
                        return sprintf($this->l('Nothing asked of SogeCommerce: %s'), $detail);
                    default:
                        return $this->l('Nothing asked of SogeCommerce: no amount to refund.');
                }
            default: // requested with no answer, or unknown
                return sprintf($this->l('No answer from SogeCommerce (%s): the refund may or may not have been made. Check the transaction in SogeCommerce\'s back office; do not refund it again from PrestaShop. If it went through, SogeCommerce\'s notification records it.'), (string) $r['error_code'] !== '' ? $r['error_code'] : 'interrupted');
        }
    }

    // ---- back office ----------------------------------------------------------------------------------------

    public function getContent()
    {
        $output = '';
        if (!$this->gateway()->isLoaded()) {
            $output .= $this->displayWarning($this->l('The ocpizza PHP extension is not loaded, so payments are hidden from the checkout. Install it into the PHP that runs PrestaShop: copy libocpizza.so to the extension directory, add "extension=ocpizza.so" to an ini file (e.g. /etc/php/8.2/fpm/conf.d/30-ocpizza.ini), restart PHP-FPM, then reload this page.'));
        }
        if (Tools::isSubmit('submitOcpizza')) {
            $output .= $this->saveConfiguration();
        }
        $ipnUrl = $this->context->link->getModuleLink($this->name, 'ipn', [], true);
        $cronUrl = $this->context->link->getModuleLink($this->name, 'cron', ['token' => $this->settings()->cronToken()], true);
        $links = $this->links();
        $probe = (new StatusProbe($this->settings(), $this->gateway()))->run();
        $refusedCount = $links->refusedCount();
        $probe['refused'] = ['ok' => $refusedCount === 0, 'detail' => (string) $refusedCount];
        $this->context->smarty->assign([
            'ocpizza_ipn_url' => $ipnUrl,
            'ocpizza_cron_url' => $cronUrl,
            'ocpizza_status' => $this->statusLabels($probe),
            // The shop orders OCPizza_DB refused, with the reason (the latest 20).
            'ocpizza_refused' => $links->refused(20),
        ]);

        return $output . $this->display(__FILE__, 'views/templates/admin/status.tpl') . $this->renderForm();
    }

    /** @param array<string, array{ok: bool, detail: string}> $probe */
    private function statusLabels(array $probe): array
    {
        $names = [
            'extension' => $this->l('PHP extension'),
            'database' => $this->l('OCPizza_DB'),
            'outbox' => $this->l('Events waiting for the bridge'),
            'bridge' => $this->l('Bridge (/readyz)'),
            'refused' => $this->l('Shop orders not sent to the restaurants'),
        ];
        $out = [];
        foreach ($probe as $key => $r) {
            $out[] = ['name' => $names[$key] ?? $key, 'ok' => $r['ok'], 'detail' => $r['detail']];
        }

        return $out;
    }

    private function formKeys(): array
    {
        return [Keys::SITE_ID, Keys::KEY_TEST, Keys::KEY_PRODUCTION, Keys::MODE, Keys::ALGORITHM, Keys::GATEWAY_URL,
            Keys::REST_URL, Keys::REST_PASSWORD_TEST, Keys::REST_PASSWORD_PRODUCTION,
            Keys::DB_URL, Keys::BRIDGE_URL, Keys::WEBHOOK_SECRET, Keys::STATE_MAP, Keys::PICKUP_CARRIERS];
    }

    private function saveConfiguration(): string
    {
        $submitted = [];
        foreach ($this->formKeys() as $key) {
            $submitted[$key] = (string) Tools::getValue($key, '');
        }
        $stateIds = array_map(static function ($s) { return (int) $s['id_order_state']; }, OrderState::getOrderStates((int) $this->context->language->id));
        $carrierIds = array_map(static function ($c) { return (int) $c['id_carrier']; }, Carrier::getCarriers((int) $this->context->language->id, false, false, false, null, Carrier::ALL_CARRIERS));
        [$values, $errors] = (new SettingsValidator())->validate($submitted, new PrestaShopConfig(), $stateIds, $carrierIds);
        if ($errors !== []) {
            $out = '';
            foreach ($errors as $e) {
                $out .= $this->displayError($this->settingError($e));
            }

            return $out;
        }
        foreach ($values as $key => $value) {
            Configuration::updateValue($key, $value);
        }
        $this->gateway = null; // the database URL may have changed

        return $this->displayConfirmation($this->l('Settings updated.'));
    }

    private function settingError(InvalidSetting $e): string
    {
        $line = (int) ($e->params['line'] ?? 0);
        switch ($e->reason) {
            case 'site_id':
                return $this->l('Shop ID: 8 digits, as shown in the SogeCommerce back office.');
            case 'mode':
                return $this->l('Mode: choose TEST or PRODUCTION.');
            case 'key_format':
                return $e->field === Keys::KEY_TEST
                    ? $this->l('TEST key: 8 to 128 printable characters without spaces.')
                    : $this->l('PRODUCTION key: 8 to 128 printable characters without spaces.');
            case 'key_required':
                return $e->field === Keys::KEY_TEST
                    ? $this->l('TEST key: required in TEST mode.')
                    : $this->l('PRODUCTION key: required in PRODUCTION mode.');
            case 'algorithm':
                return $this->l('Signature algorithm: HMAC-SHA-256 or SHA-1, as set in the SogeCommerce back office.');
            case 'https_url':
                return $this->l('Payment page URL: an https:// address.');
            case 'rest_url':
                return $this->l('REST API URL: an https:// address.');
            case 'rest_password_format':
                return $e->field === Keys::REST_PASSWORD_TEST
                    ? $this->l('TEST REST password: 8 to 128 printable characters without spaces.')
                    : $this->l('PRODUCTION REST password: 8 to 128 printable characters without spaces.');
            case 'rest_password_mode':
                return $e->field === Keys::REST_PASSWORD_TEST
                    ? $this->l('TEST REST password: it starts with testpassword_ (copy it from Settings > Shop > REST API keys, TEST).')
                    : $this->l('PRODUCTION REST password: it starts with prodpassword_ (copy it from Settings > Shop > REST API keys, PRODUCTION).');
            case 'db_url':
                return $this->l('OCPizza_DB URL: mysql://user:password@host:3306/database');
            case 'http_url':
                return $this->l('Bridge URL: an http:// or https:// address.');
            case 'whsec':
                return $this->l('Webhook secret: whsec_ followed by the Base64 secret given by the bridge.');
            case 'whsec_required':
                return $this->l('Webhook secret: required when a bridge URL is set.');
            case 'unknown_state':
                return sprintf($this->l('State mapping, line %d: no order state has this id.'), $line);
            case 'unknown_status':
                return sprintf($this->l('State mapping, line %d: unknown OC Pizza status.'), $line);
            case 'duplicate_state':
                return sprintf($this->l('State mapping, line %d: this order state is already mapped.'), $line);
            case 'unknown_carrier':
                return sprintf($this->l('Pickup carriers, line %d: no carrier has this id.'), $line);
            default:
                return $e->field === Keys::STATE_MAP
                    ? sprintf($this->l('State mapping, line %d: write <state id>=<status>.'), $line)
                    : sprintf($this->l('Pickup carriers, line %d: write <carrier id>=<RESTAURANT CODE>.'), $line);
        }
    }

    private function renderForm(): string
    {
        $s = $this->settings();
        $set = $this->l('set');
        $notSet = $this->l('not set');
        $secretState = static function (string $key) use ($set, $notSet): string {
            return (string) Configuration::get($key) !== '' ? $set : $notSet;
        };
        $form = ['form' => [
            'legend' => ['title' => $this->l('Settings'), 'icon' => 'icon-cogs'],
            'input' => [
                ['type' => 'text', 'name' => Keys::SITE_ID, 'label' => $this->l('SogeCommerce shop ID'), 'required' => true, 'class' => 'fixed-width-lg'],
                ['type' => 'select', 'name' => Keys::MODE, 'label' => $this->l('Mode'), 'options' => ['query' => [['id' => 'TEST', 'name' => 'TEST'], ['id' => 'PRODUCTION', 'name' => 'PRODUCTION']], 'id' => 'id', 'name' => 'name']],
                ['type' => 'password', 'name' => Keys::KEY_TEST, 'label' => $this->l('TEST key'), 'desc' => sprintf($this->l('Currently %s. Leave empty to keep it.'), $secretState(Keys::KEY_TEST))],
                ['type' => 'password', 'name' => Keys::KEY_PRODUCTION, 'label' => $this->l('PRODUCTION key'), 'desc' => sprintf($this->l('Currently %s. Leave empty to keep it.'), $secretState(Keys::KEY_PRODUCTION))],
                ['type' => 'select', 'name' => Keys::ALGORITHM, 'label' => $this->l('Signature algorithm'), 'options' => ['query' => [['id' => 'HMAC-SHA-256', 'name' => 'HMAC-SHA-256'], ['id' => 'SHA-1', 'name' => 'SHA-1']], 'id' => 'id', 'name' => 'name']],
                ['type' => 'text', 'name' => Keys::GATEWAY_URL, 'label' => $this->l('Payment page URL')],
                ['type' => 'text', 'name' => Keys::REST_URL, 'label' => $this->l('REST API URL'), 'desc' => $this->l('Used for refunds from the back office.')],
                ['type' => 'password', 'name' => Keys::REST_PASSWORD_TEST, 'label' => $this->l('TEST REST password'), 'desc' => sprintf($this->l('Currently %s. Leave empty to keep it. Refunds and REST notifications need it.'), $secretState(Keys::REST_PASSWORD_TEST))],
                ['type' => 'password', 'name' => Keys::REST_PASSWORD_PRODUCTION, 'label' => $this->l('PRODUCTION REST password'), 'desc' => sprintf($this->l('Currently %s. Leave empty to keep it. Refunds and REST notifications need it.'), $secretState(Keys::REST_PASSWORD_PRODUCTION))],
                ['type' => 'password', 'name' => Keys::DB_URL, 'label' => $this->l('OCPizza_DB URL'), 'desc' => sprintf($this->l('Currently %s. Leave empty to keep it.'), $secretState(Keys::DB_URL))],
                ['type' => 'text', 'name' => Keys::BRIDGE_URL, 'label' => $this->l('Bridge URL')],
                ['type' => 'password', 'name' => Keys::WEBHOOK_SECRET, 'label' => $this->l('Webhook secret'), 'desc' => sprintf($this->l('Currently %s. Leave empty to keep it.'), $secretState(Keys::WEBHOOK_SECRET))],
                ['type' => 'textarea', 'name' => Keys::STATE_MAP, 'label' => $this->l('Order states → OC Pizza statuses'), 'desc' => $this->l('One line per state: <state id>=<status> with status among accepted, in_preparation, ready, out_for_delivery, delivered, picked_up, cancelled.')],
                ['type' => 'textarea', 'name' => Keys::PICKUP_CARRIERS, 'label' => $this->l('Takeaway carriers'), 'desc' => $this->l('One line per pickup carrier: <carrier id>=<RESTAURANT CODE>. Other carriers deliver.')],
            ],
            'submit' => ['title' => $this->l('Save')],
        ]];
        $pickup = [];
        foreach ($s->pickupCarriers() as $id => $code) {
            $pickup[] = $id . '=' . $code;
        }
        $helper = new HelperForm();
        $helper->module = $this;
        $helper->name_controller = $this->name;
        $helper->token = Tools::getAdminTokenLite('AdminModules');
        $helper->currentIndex = $this->context->link->getAdminLink('AdminModules', false) . '&configure=' . $this->name;
        $helper->submit_action = 'submitOcpizza';
        $helper->default_form_language = (int) Configuration::get('PS_LANG_DEFAULT');
        $helper->tpl_vars = ['fields_value' => [
            Keys::SITE_ID => Tools::getValue(Keys::SITE_ID, $s->siteId()),
            Keys::MODE => Tools::getValue(Keys::MODE, $s->mode()),
            // Secrets are never sent back to the browser.
            Keys::KEY_TEST => '',
            Keys::KEY_PRODUCTION => '',
            Keys::DB_URL => '',
            Keys::WEBHOOK_SECRET => '',
            Keys::REST_PASSWORD_TEST => '',
            Keys::REST_PASSWORD_PRODUCTION => '',
            Keys::ALGORITHM => Tools::getValue(Keys::ALGORITHM, $s->algorithm()),
            Keys::GATEWAY_URL => Tools::getValue(Keys::GATEWAY_URL, $s->gatewayUrl()),
            Keys::REST_URL => Tools::getValue(Keys::REST_URL, $s->restApiUrl()),
            Keys::BRIDGE_URL => Tools::getValue(Keys::BRIDGE_URL, $s->bridgeUrl()),
            Keys::STATE_MAP => Tools::getValue(Keys::STATE_MAP, $s->stateMapping()->toText()),
            Keys::PICKUP_CARRIERS => Tools::getValue(Keys::PICKUP_CARRIERS, implode("\n", $pickup)),
        ]];

        return $helper->generateForm([$form]);
    }
}
