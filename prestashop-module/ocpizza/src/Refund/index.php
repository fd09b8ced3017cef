<?php
/**
 * Directory guard: no listing, no direct access; sends the visitor one level up.
 *
 * @author    OC Pizza
 * @copyright OC Pizza
 * @license   Proprietary
 */
header('Expires: Mon, 26 Jul 1997 05:00:00 GMT');
header('Last-Modified: ' . gmdate('D, d M Y H:i:s') . ' GMT');
header('Cache-Control: no-store, no-cache, must-revalidate');
header('Cache-Control: post-check=0, pre-check=0', false);
header('Pragma: no-cache');
header('Location: ../');
exit;
