#!/usr/bin/env bash
# Runs every phpunit suite of the repository with the freshly built extension loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
ext="${1:-$PWD/target/debug/libocpizza.so}"
export OCPIZZA_TEST_DATABASE_SERVER="${OCPIZZA_TEST_DATABASE_SERVER:-mysql://root@127.0.0.1:3306}"
export OCPIZZA_BRIDGE_BIN="${OCPIZZA_BRIDGE_BIN:-$PWD/target/debug/ocpizza-bridge}"
export OCPIZZA_FAKE_SOGECOMMERCE_BIN="${OCPIZZA_FAKE_SOGECOMMERCE_BIN:-$PWD/target/debug/fake-sogecommerce}"
status=0
for cfg in tests/php/phpunit.xml tests/module/phpunit.xml; do
  [ -f "$cfg" ] || continue
  echo "== phpunit -c $cfg"
  php -d extension="$ext" /usr/bin/phpunit -c "$cfg" || status=1
done
exit $status
