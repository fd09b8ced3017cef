<?php
/**
 * STAND-IN, NOT PRESTASHOP: PrestaShop\PrestaShop\Core\Payment\PaymentOption (setters and getters used by modules).
 */

namespace PrestaShop\PrestaShop\Core\Payment;

class PaymentOption
{
    private $callToActionText;
    private $action;
    private $additionalInformation;
    private $moduleName;
    private $inputs = [];
    private $logo;

    public function getCallToActionText() { return $this->callToActionText; }
    public function setCallToActionText($v) { $this->callToActionText = $v; return $this; }
    public function getAction() { return $this->action; }
    public function setAction($v) { $this->action = $v; return $this; }
    public function getAdditionalInformation() { return $this->additionalInformation; }
    public function setAdditionalInformation($v) { $this->additionalInformation = $v; return $this; }
    public function getModuleName() { return $this->moduleName; }
    public function setModuleName($v) { $this->moduleName = $v; return $this; }
    public function getInputs() { return $this->inputs; }
    public function setInputs($v) { $this->inputs = $v; return $this; }
    public function getLogo() { return $this->logo; }
    public function setLogo($v) { $this->logo = $v; return $this; }
}
