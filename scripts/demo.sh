#!/usr/bin/env bash
# make demo: a migrated, seeded local `ocpizza` database, and what is in it.
set -euo pipefail
cd "$(dirname "$0")/.."
server="${DB_SERVER:-mysql://root@127.0.0.1:3306}"
db="${DEMO_DB:-ocpizza}"
bridge=target/debug/ocpizza-bridge

mariadb -h 127.0.0.1 -u root -e "CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
export OCPIZZA_DATABASE_URL="$server/$db"
echo "== ocpizza-bridge migrate"
"$bridge" migrate
echo "== ocpizza-bridge seed"
"$bridge" seed
