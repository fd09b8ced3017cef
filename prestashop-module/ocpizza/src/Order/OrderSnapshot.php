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

/** A PrestaShop order reduced to what OCPizza_DB records (filled by the shop glue, plain values only). */
final class OrderSnapshot
{
    /** @var int */ public $orderId;
    /** @var string */ public $reference;
    /** @var string ISO 8601 with offset */ public $placedAt;
    /** @var string */ public $paymentMethod;
    /** @var string ISO alpha-3 */ public $currency;
    /** @var int */ public $decimals;
    /** @var float|string total paid tax incl. as PrestaShop stores it */ public $total;
    /** @var int */ public $customerId;
    /** @var string */ public $email;
    /** @var string */ public $firstName;
    /** @var string */ public $lastName;
    /** @var string|null */ public $phone;
    /** @var array{line1:string,line2:string,postcode:string,city:string,country:string}|null */ public $address;
    /** @var int */ public $carrierId;
    /** @var string */ public $carrierName = '';
    /** @var float|string shipping tax incl. */ public $shipping = 0;
    /** @var float|string */ public $shippingVatRate = 0;
    /** @var array<int, array{sku:string,name:string,quantity:int,unit_price:float|string,vat_rate:float|string}> */
    public $products = [];
    /** @var array<int, array{name:string,amount:float|string}> cart rules, positive amounts tax incl. */
    public $discounts = [];
}
