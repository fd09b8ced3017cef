<?php
/**
 * When the extension is not loaded, the logic tests still need its exception classes to exist to throw them from
 * the parser double. Declared only if the extension did not declare them (then the real classes are used).
 */

namespace OCPizza;

if (!class_exists(SignatureException::class, false)) {
    class SignatureException extends \Exception
    {
    }
    class ValidationException extends \Exception
    {
        /** As the extension's: the refused field. */
        public $field = '';
    }
    class DbException extends \Exception
    {
    }
}
if (!class_exists(GatewayException::class, false)) {
    class GatewayException extends \Exception
    {
        /** As the extension's: the gateway's errorCode, or TIMEOUT, NETWORK, INVALID_ANSWER, HTTP_<status>. */
        public $errorCode = '';
    }
}
