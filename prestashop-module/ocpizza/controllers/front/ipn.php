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

use OCPizzaModule\Ipn\IpnResponse;

/**
 * SogeCommerce's Instant Payment Notification (server to server), form API (vads_*) and REST API (kr-*) alike: one
 * URL for both. No customer session and no $auth: the message is authenticated by its signature (the extension
 * verifies it in constant time). Answers a short plain text.
 */
class OcpizzaIpnModuleFrontController extends ModuleFrontController
{
    /** @var Ocpizza */
    public $module;
    /** @var IpnResponse|null */
    public $ipnResponse;

    /**
     * A machine endpoint answers plain text whatever the request says. PrestaShop's Controller::__construct() (8.1 to 9.x)
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
        if (strtoupper((string) ($_SERVER['REQUEST_METHOD'] ?? '')) !== 'POST') {
            $this->ipnResponse = new IpnResponse(405, 'KO-POST only');

            return;
        }
        // The signature covers the exact posted values: Tools::getAllValues() gives them as received (POST wins over
        // GET), unlike Tools::getValue(), which strips backslashes (a kr-answer's "\/" and "\"" must stay as posted).
        // Only the gateway's fields are kept: vads_* and the signature (form API), kr-* (REST API: kr-hash,
        // kr-hash-algorithm, kr-hash-key, kr-answer-type, kr-answer); the query string's fc/module/controller are
        // not part of the message. Nothing here is used in SQL or output; the extension validates every field.
        $post = [];
        foreach (Tools::getAllValues() as $name => $value) {
            if (!is_string($name) || (strpos($name, 'vads_') !== 0 && $name !== 'signature' && strpos($name, 'kr-') !== 0)) {
                continue;
            }
            if (!is_string($value)) {
                $this->ipnResponse = new IpnResponse(200, 'KO-Invalid notification');

                return;
            }
            $post[$name] = $value;
        }
        $this->ipnResponse = $this->module->ipnProcessor()->process($post, 'ipn');
    }

    public function displayAjax()
    {
        $r = $this->ipnResponse ?? new IpnResponse(500, 'KO-Not processed');
        if (!headers_sent()) {
            http_response_code($r->httpStatus);
            header('Content-Type: text/plain; charset=utf-8');
            header('Cache-Control: no-store');
        }
        echo $r->body;
    }
}
