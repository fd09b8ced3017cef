<?php
/**
 * STAND-IN, NOT PRESTASHOP: the front controller lifecycle a module front controller runs under, reproduced from
 * PrestaShop's own classes (no code copied; behaviour only). Read for this stand-in:
 * - classes/controller/Controller.php: PrestaShop 8.2.x (arekszczerba/prestashop-starwoven, Version.php 8.2.2) and
 *   9.1.3 (MGNBOX/PrestaShop). Identical in what matters here: __construct() ends with
 *   `$this->ajax = $this->isAjax()`, which OVERWRITES whatever the subclass declared (`public $ajax = true` is
 *   lost); isAjax() is true only for a request parameter `ajax` or an `Accept` header containing application/json.
 *   run(): init(); checkAccess(); setMedia() unless header is off; postProcess(); redirect_after; initHeader();
 *   initContent() (ALWAYS, ajax or not); initFooter(); then displayAjax{Action}()/displayAjax() when $this->ajax,
 *   else display(). The 1.7 line (ijzershop/PrestaShop, 2019) has the same constructor and run().
 * - classes/controller/FrontController.php (8.2.x, arekszczerba/prestashop-starwoven): init() runs once per process
 *   (static $initialized), turns the header and footer off when ajax, and opens an output buffer (ob_start());
 *   display() renders $this->template through smartyOutputContent(), so a controller that set no template ends in
 *   Smarty's "Missing '$template' parameter" exception — PHP's fatal "Uncaught Smarty…" in debug mode, an empty 500
 *   in production. isTokenValid(): strcasecmp(Tools::getToken(false), Tools::getValue('token')), skipped when
 *   PS_TOKEN_ENABLE is off.
 * - classes/controller/ModuleFrontController.php (1.7 in PrestaShop/PrestaShop 740ed54; 9.2.1 in gRoussac/PrestaShop):
 *   the constructor loads the module named by Tools::getValue('module'), redirects to 'index' when it is missing or
 *   inactive, then calls FrontController's constructor; setTemplate('module:…') keeps the path as is.
 * Not reproduced (the module does not depend on them): theme assets, cookies, geolocation, SSL and canonical
 * redirections, the maintenance page (a shop in maintenance answers 503 to the gateway, which retries).
 */
abstract class Controller
{
    /** @var Context */
    protected $context;
    /** As PrestaShop: whatever a subclass declares, __construct() replaces it with isAjax(). */
    public $ajax = false;
    /**
     * @var string|null the template set by setTemplate() (protected in PrestaShop; public here so that tests can
     *                  read which page a controller chose)
     */
    public $template;
    protected $display_header;
    protected $display_footer;
    protected $content_only = false;
    protected $redirect_after;
    public $controller_type;
    public $php_self;
    public $errors = [];
    public $module;

    public function __construct()
    {
        if ($this->display_header === null) {
            $this->display_header = true;
        }
        if ($this->display_footer === null) {
            $this->display_footer = true;
        }
        $this->context = Context::getContext();
        $this->context->controller = $this;
        $this->ajax = $this->isAjax();
    }

    /** Controller::isAjax() (private in PrestaShop). */
    private function isAjax()
    {
        $isAjax = Tools::getValue('ajax') || Tools::isSubmit('ajax');
        if (isset($_SERVER['HTTP_ACCEPT'])) {
            $isAjax = $isAjax || preg_match('#\bapplication/json\b#', (string) $_SERVER['HTTP_ACCEPT']);
        }

        return (bool) $isAjax;
    }

    /** Controller::run(), step by step. */
    public function run()
    {
        $this->init();
        if ($this->checkAccess()) {
            if (!$this->content_only && $this->display_header) {
                $this->setMedia();
            }
            $this->postProcess();
            if (!empty($this->redirect_after)) {
                $this->redirect();
            }
            if (!$this->content_only && $this->display_header) {
                $this->initHeader();
            }
            if ($this->viewAccess()) {
                $this->initContent();
            }
            if (!$this->content_only && $this->display_footer) {
                $this->initFooter();
            }
            if ($this->ajax) {
                $action = str_replace(' ', '', ucwords(str_replace('_', ' ', (string) Tools::getValue('action'))));
                if ($action !== '' && method_exists($this, 'displayAjax' . $action)) {
                    $this->{'displayAjax' . $action}();
                } elseif (method_exists($this, 'displayAjax')) {
                    $this->displayAjax();
                }
            } else {
                $this->display();
            }
        }
    }

    public function init()
    {
    }

    public function setTemplate($template, $params = [], $locale = null)
    {
        $this->template = $template;
    }

    public function setRedirectAfter($url)
    {
        $this->redirect_after = $url;
    }

    abstract public function checkAccess();

    abstract public function viewAccess();

    abstract public function postProcess();

    abstract public function setMedia();

    abstract public function initHeader();

    abstract public function initContent();

    abstract public function initFooter();

    abstract public function display();

    abstract protected function redirect();

    /** Controller::smartyOutputContent(): fetches the template(s) and echoes the HTML. */
    protected function smartyOutputContent($content)
    {
        $html = '';
        foreach (is_array($content) ? $content : [$content] as $tpl) {
            $html .= $this->context->smarty->fetch($tpl);
        }
        echo trim($html);
    }
}

class FrontController extends Controller
{
    /** FrontController::$initialized: init() runs once per PHP process. */
    public static $initialized = false;
    public $auth = false;
    public $page_name;

    public function __construct()
    {
        $this->controller_type = 'front';
        parent::__construct();
    }

    public function checkAccess()
    {
        return true;
    }

    public function viewAccess()
    {
        return true;
    }

    public function init()
    {
        if (self::$initialized) {
            return;
        }
        self::$initialized = true;
        parent::init();
        if ($this->ajax) {
            $this->display_header = false;
            $this->display_footer = false;
        }
        ob_start();
    }

    public function postProcess()
    {
    }

    public function setMedia()
    {
    }

    public function initHeader()
    {
    }

    /** FrontController::initContent(): the page's general template variables, then process(). */
    public function initContent()
    {
        $this->context->smarty->assign(['static_token' => Tools::getToken(false), 'token' => Tools::getToken()]);
        $this->process();
    }

    public function process()
    {
    }

    public function initFooter()
    {
    }

    /** FrontController::display(): renders $this->template — null when the controller set none. */
    public function display()
    {
        $this->smartyOutputContent($this->template);

        return true;
    }

    protected function redirect()
    {
        Tools::redirect($this->redirect_after);
    }

    public function isTokenValid()
    {
        if (!Configuration::get('PS_TOKEN_ENABLE')) {
            return true;
        }

        return strcasecmp(Tools::getToken(false), (string) Tools::getValue('token')) == 0;
    }
}

class ModuleFrontController extends FrontController
{
    public function __construct()
    {
        $this->module = Module::getInstanceByName(Tools::getValue('module'));
        if (!($this->module instanceof Module) || !$this->module->active) {
            Tools::redirect('index');

            return;
        }
        $this->page_name = 'module-' . $this->module->name . '-' . Tools::getValue('controller');
        parent::__construct();
        $this->controller_type = 'modulefront';
    }

    public function setTemplate($template, $params = [], $locale = null)
    {
        $this->template = $template;
    }
}
