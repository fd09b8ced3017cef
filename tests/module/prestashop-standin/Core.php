<?php
/**
 * STAND-IN, NOT PRESTASHOP: Configuration, Tools, Context, Link, Validate, Language, Shop, Country, logger,
 * a Smarty recorder, with the PrestaShop 8.2 signatures and behaviour the OC Pizza module relies on.
 */
class PrestaShopException extends Exception
{
}

/** Smarty's exception class (vendor/smarty/smarty). */
class SmartyException extends Exception
{
}

/** How the stand-in reproduces die()/exit/redirects: in phpunit they become exceptions the test can inspect. */
final class StandIn
{
    /** @var bool true in the phpunit process; child processes really exit, as PHP-FPM would */
    public static $throwOnHalt = true;
    /** @var bool redirects become StandInRedirect (false: a real Location header and exit, as over HTTP) */
    public static $throwOnRedirect = true;

    public static function halt(string $output): void
    {
        if (self::$throwOnHalt) {
            throw new StandInHalt($output);
        }
        exit($output);
    }
}

/** PrestaShop called die()/exit with this output. */
class StandInHalt extends RuntimeException
{
}

/** PrestaShop redirected (header Location + exit). */
class StandInRedirect extends StandInHalt
{
    /** @var string */
    public $url;

    public function __construct(string $url)
    {
        parent::__construct('redirect: ' . $url);
        $this->url = $url;
    }
}

/** classes/Configuration.php: get(), updateValue(), deleteByName() (one shop, no language: what the module uses). */
class Configuration
{
    public static function get($key, $idLang = null, $idShopGroup = null, $idShop = null, $default = false)
    {
        $v = Db::getInstance()->getValue('SELECT value FROM `' . _DB_PREFIX_ . 'configuration` WHERE name = \'' . pSQL($key) . '\'', false);

        return $v === false ? $default : $v;
    }

    public static function updateValue($key, $values, $html = false, $idShopGroup = null, $idShop = null)
    {
        return Db::getInstance()->execute('INSERT INTO `' . _DB_PREFIX_ . 'configuration` (name, value) VALUES (\'' . pSQL($key) . '\', \''
            . pSQL((string) $values, true) . '\') ON DUPLICATE KEY UPDATE value = VALUES(value)');
    }

    public static function deleteByName($key)
    {
        return Db::getInstance()->execute('DELETE FROM `' . _DB_PREFIX_ . 'configuration` WHERE name = \'' . pSQL($key) . '\'');
    }
}

/**
 * classes/Tools.php: getValue() (POST then GET, stripslashes), getAllValues() ($_POST + $_GET as received),
 * getIsset(), isSubmit(), getToken()/hash(), redirect() (Location header + exit), ps_round(), passwdGen().
 */
class Tools
{
    /** As PrestaShop: POST then GET, strings urlencoded/decoded and stripslashes'd. */
    public static function getValue($key, $default_value = false)
    {
        if (!isset($key) || $key === '' || !is_string($key)) {
            return false;
        }
        $ret = $_POST[$key] ?? ($_GET[$key] ?? $default_value);
        if (is_string($ret)) {
            return stripslashes(urldecode(preg_replace('/((\%5C0+)|(\%00+))/i', '', urlencode($ret))));
        }

        return $ret;
    }

    public static function getIsset($key)
    {
        return isset($_POST[$key]) || isset($_GET[$key]);
    }

    public static function isSubmit($submit)
    {
        return isset($_POST[$submit]) || isset($_POST[$submit . '_x']) || isset($_POST[$submit . '_y']) || isset($_GET[$submit]);
    }

    public static function getAdminTokenLite($tab)
    {
        return 'standin-admin-token-' . $tab;
    }

    /** Tools::redirect(): a Location header, then exit (an exception the test catches in phpunit). */
    public static function redirect($url, $base_uri = '/', $link = null, $headers = null)
    {
        if (StandIn::$throwOnRedirect) {
            throw new StandInRedirect((string) $url);
        }
        header('Location: ' . $url);
        exit;
    }

    /** Tools::getAllValues(): $_POST + $_GET as received (no stripslashes, unlike getValue()). */
    public static function getAllValues()
    {
        return $_POST + $_GET;
    }

    /** Tools::getToken(): hash of customer id, password hash and page; getToken(false) is the static token. */
    public static function getToken($page = true, $context = null)
    {
        $context = $context ?: Context::getContext();
        $customer = $context->customer;
        $prefix = ($customer->id ?? '') . ($customer->passwd ?? '');

        return self::hash($prefix . ($page === true ? ($_SERVER['SCRIPT_NAME'] ?? '') : $page));
    }

    /** Tools::hash(): md5 of _COOKIE_KEY_ and the value. */
    public static function hash($passwd)
    {
        return md5(_COOKIE_KEY_ . $passwd);
    }

    public static function displayError($errorMessage = null, $htmlentities = null, $context = null)
    {
        return (string) $errorMessage;
    }

    public static function ps_round($value, $precision = 0, $round_mode = null)
    {
        return round((float) $value, (int) $precision, PHP_ROUND_HALF_UP);
    }

    public static function nl2br($str)
    {
        return str_replace(["\r\n", "\r", "\n"], '<br />', (string) $str);
    }

    public static function passwdGen($length = 8, $flag = 'ALPHANUMERIC')
    {
        $chars = $flag === 'NO_NUMERIC' ? 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
        $out = '';
        for ($i = 0; $i < $length; ++$i) {
            $out .= $chars[random_int(0, strlen($chars) - 1)];
        }

        return $out;
    }
}

/** classes/Validate.php: isLoadedObject(), isUnsignedId(). */
class Validate
{
    public static function isLoadedObject($object)
    {
        return is_object($object) && $object->id;
    }

    public static function isUnsignedId($id)
    {
        return (string) (int) $id === (string) $id && $id >= 0;
    }
}

/** classes/Language.php: two languages (1 fr, 2 en), getLanguages(). */
class Language extends ObjectModel
{
    public $iso_code;
    private const LANGS = [1 => 'fr', 2 => 'en'];

    public function __construct($id = null, $id_lang = null)
    {
        $id = (int) ($id ?: 1);
        $this->id = $id;
        $this->iso_code = self::LANGS[$id] ?? 'fr';
    }

    public static function getLanguages($active = true, $id_shop = false, $ids_only = false)
    {
        $out = [];
        foreach (self::LANGS as $id => $iso) {
            $out[] = ['id_lang' => $id, 'iso_code' => $iso];
        }

        return $out;
    }
}

/** classes/shop/Shop.php: a single shop, id 1. */
class Shop extends ObjectModel
{
    public function __construct($id = null, $id_lang = null, $id_shop = null)
    {
        $this->id = 1;
    }
}

/** classes/Country.php: ISO code by id, the active countries (France, Belgium, Switzerland here). */
class Country
{
    private const ACTIVE = [8 => 'FR', 3 => 'BE', 19 => 'CH'];

    public static function getIsoById($id_country)
    {
        return self::ACTIVE[(int) $id_country] ?? false;
    }

    public static function getCountries($idLang, $active = false, $containStates = false, $listStates = true)
    {
        $out = [];
        foreach (self::ACTIVE as $id => $iso) {
            $out[$id] = ['id_country' => $id, 'iso_code' => $iso];
        }

        return $out;
    }
}

/** classes/Group.php: the three default groups (1 Visitor, 2 Guest, 3 Customer) and a module's group restrictions. */
class Group
{
    public const DEFAULT_GROUPS = [1, 2, 3];

    /** Group::addRestrictionsForModule(), called by Module::install(): every group may use the module. */
    public static function addRestrictionsForModule($id_module, $shops = [1])
    {
        foreach ((array) $shops as $shop) {
            foreach (self::DEFAULT_GROUPS as $group) {
                Db::getInstance()->insert('module_group', ['id_module' => (int) $id_module, 'id_shop' => (int) $shop, 'id_group' => $group], false, true, Db::INSERT_IGNORE);
            }
        }

        return true;
    }
}

/** classes/PrestaShopLogger.php: addLog() writes a row the tests read (Advanced Parameters > Logs). */
class PrestaShopLogger
{
    public static function addLog($message, $severity = 1, $errorCode = null, $objectType = null, $objectId = null, $allowDuplicate = false, $idEmployee = null)
    {
        return Db::getInstance()->insert('log', ['severity' => (int) $severity, 'message' => (string) $message]);
    }
}

/** classes/Link.php: getModuleLink() (index.php?fc=module&module=…&controller=…), getPageLink(), getAdminLink(). */
class Link
{
    public const BASE = 'https://shop.test/';

    public function getModuleLink($module, $controller = 'default', array $params = [], $ssl = null, $idLang = null, $idShop = null, $relativeProtocol = false)
    {
        return self::BASE . 'index.php?' . http_build_query(['fc' => 'module', 'module' => $module, 'controller' => $controller] + $params);
    }

    public function getPageLink($controller, $ssl = null, $idLang = null, $request = null, $requestUrlEncode = false, $idShop = null, $relativeProtocol = false)
    {
        $query = is_array($request) ? '&' . http_build_query($request) : ($request ? '&' . $request : '');

        return self::BASE . 'index.php?controller=' . $controller . $query;
    }

    public function getAdminLink($controller, $withToken = true, $sfRouteParams = [], $params = [])
    {
        return self::BASE . 'admin-dev/index.php?controller=' . $controller . ($withToken ? '&token=' . Tools::getAdminTokenLite($controller) : '');
    }
}

/** Records assignments and fetched templates instead of compiling Smarty templates (vendor/smarty/smarty: assign, getTemplateVars, fetch). */
class StandInSmarty
{
    /** @var array<string, mixed> */
    public $vars = [];
    /** @var string[] */
    public $fetched = [];

    public function assign($name, $value = null)
    {
        if (is_array($name)) {
            $this->vars = array_merge($this->vars, $name);
        } else {
            $this->vars[$name] = $value;
        }

        return $this;
    }

    public function getTemplateVars($name = null)
    {
        return $name === null ? $this->vars : ($this->vars[$name] ?? null);
    }

    /** As Smarty's fetch(): no template name is Smarty's "Missing '$template' parameter" exception. */
    public function fetch($template)
    {
        if ($template === null || $template === '') {
            throw new SmartyException("0(): Missing '\$template' parameter");
        }
        $this->fetched[] = (string) $template;

        return '<!-- stand-in render of ' . $template . ' -->';
    }
}

/** classes/Context.php: getContext() singleton (cart, customer, currency, language, shop, link, smarty, controller), getComputingPrecision(). */
class Context
{
    /** @var Context|null */
    private static $instance;
    public $cart;
    public $customer;
    public $currency;
    public $language;
    public $shop;
    public $link;
    public $smarty;
    public $controller;
    public $cookie;
    /** @var Employee|null the signed-in employee (back office only) */
    public $employee;

    public static function getContext()
    {
        if (self::$instance === null) {
            $c = new self();
            $c->language = new Language(1);
            $c->shop = new Shop(1);
            $c->link = new Link();
            $c->smarty = new StandInSmarty();
            self::$instance = $c;
        }

        return self::$instance;
    }

    /** Stand-in only: a fresh context per test. */
    public static function reset(): void
    {
        self::$instance = null;
    }

    public function getComputingPrecision()
    {
        return $this->currency ? (int) $this->currency->precision : 2;
    }
}
