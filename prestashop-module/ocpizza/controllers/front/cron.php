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

use OCPizzaModule\Security\TokenGuard;

/**
 * Publishes pending OCPizza_DB events to the bridge (and records orders whose recording failed). Secured by the
 * module's cron token, compared in constant time. URL shown on the configuration page.
 */
class OcpizzaCronModuleFrontController extends ModuleFrontController
{
    /** @var Ocpizza */
    public $module;
    /** @var int */
    public $httpStatus = 200;
    /** @var array */
    public $result = [];

    /**
     * A machine endpoint answers JSON whatever the request says. PrestaShop's Controller::__construct() (8.1 to 9.x)
     * sets $this->ajax from the request (an `ajax` parameter or `Accept: application/json`), overwriting a declared
     * `$ajax = true`; without it run() calls display(), which has no template: a Smarty fatal error. So ajax is set
     * after the parent constructor, and display() answers the same in case anything turns it off again.
     */
    public function __construct()
    {
        parent::__construct();
        $this->ajax = true;
    }

    public function display()
    {
        $this->displayAjax();

        return true;
    }

    public function postProcess()
    {
        if (!TokenGuard::matches($this->module->settings()->cronToken(), Tools::getValue('token'))) {
            $this->httpStatus = 403;
            $this->result = ['error' => 'forbidden'];

            return;
        }
        // Refunds the gateway confirmed and OCPizza_DB missed first: their order.refunded events go out below.
        $this->module->retryRefunds();
        $counts = $this->module->publishOutboxNow(100);
        $this->result = ['published' => $counts];
    }

    public function displayAjax()
    {
        if (!headers_sent()) {
            http_response_code($this->httpStatus);
            header('Content-Type: application/json');
            header('Cache-Control: no-store');
        }
        echo json_encode($this->result);
    }
}
