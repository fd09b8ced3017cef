<?php
/**
 * OC Pizza payment module for PrestaShop 8.1–9.x.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */

namespace OCPizzaModule\Contract;

if (!defined('_PS_VERSION_')) {
    exit;
}


/** The `ocpizza` extension is not loaded in this PHP: the module cannot sign, verify or record anything. */
class ExtensionMissing extends \RuntimeException
{
}
