<?php

declare(strict_types=1);

namespace OCPizza\Tests;

/** Child PHP processes that load the very extension file this process loaded. */
final class Processes
{
    /** Absolute path of the loaded ocpizza shared object (from /proc/self/maps), else OCPIZZA_EXTENSION. */
    public static function extensionPath(): string
    {
        foreach (@file('/proc/self/maps') ?: [] as $line) {
            if (preg_match('#\s(/\S*ocpizza[^/\s]*\.so)$#', trim($line), $m) === 1) {
                return $m[1];
            }
        }

        return getenv('OCPIZZA_EXTENSION') ?: dirname(__DIR__, 3) . '/target/debug/libocpizza.so';
    }

    /**
     * Starts `php -d extension=<ours> $script ...$args` with stdout/stderr captured.
     *
     * @return array{0: resource, 1: array<int, resource>}
     */
    public static function start(string $script, array $args = []): array
    {
        $cmd = array_merge([PHP_BINARY, '-d', 'extension=' . self::extensionPath(), $script], $args);
        $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        if (!is_resource($proc)) {
            throw new \RuntimeException('cannot start ' . implode(' ', $cmd));
        }
        fclose($pipes[0]);

        return [$proc, $pipes];
    }

    /**
     * Waits for a child started by start(): [exit status, stdout, stderr].
     *
     * @param array{0: resource, 1: array<int, resource>} $child
     * @return array{0: int, 1: string, 2: string}
     */
    public static function finish(array $child): array
    {
        [$proc, $pipes] = $child;
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);

        return [proc_close($proc), (string) $out, (string) $err];
    }

    /** A free TCP port on 127.0.0.1 (bound then released). */
    public static function freePort(): int
    {
        $s = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        if ($s === false) {
            throw new \RuntimeException("no free port: $errstr");
        }
        $name = stream_socket_get_name($s, false);
        fclose($s);

        return (int) substr((string) $name, strrpos((string) $name, ':') + 1);
    }
}
