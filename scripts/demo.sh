#!/usr/bin/env bash
# make demo: a migrated local `ocpizza` database seeded with the chain and its demo orders (seed --demo-orders),
# then a customer's order through the whole chain (target/debug/demo: the real bridge, the Dolibarr and APNs
# stand-ins, the module's code on a PrestaShop stand-in).
set -euo pipefail
cd "$(dirname "$0")/.."
server="${DB_SERVER:-mysql://root@127.0.0.1:3306}"
db="${DEMO_DB:-ocpizza}"
bridge=target/debug/ocpizza-bridge
demo=target/debug/demo

for bin in "$bridge" "$demo" target/debug/libocpizza.so; do
    if [[ ! -e "$bin" ]]; then
        echo "error: $bin is missing: run \`cargo build --workspace --all-targets\` first (make demo does)" >&2
        exit 1
    fi
done

mariadb -h 127.0.0.1 -u root -e "CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
export OCPIZZA_DATABASE_URL="$server/$db"
echo "== ocpizza-bridge migrate"
"$bridge" migrate
echo "== ocpizza-bridge seed --demo-orders"
"$bridge" seed --demo-orders
echo
# The stand-in shop's own database is created and dropped by the demo; its order ids start above the database's.
OCPIZZA_TEST_DATABASE_SERVER="$server" "$demo"
