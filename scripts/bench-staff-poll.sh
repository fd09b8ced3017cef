#!/usr/bin/env bash
# Issue 12 benchmark (docs/BENCHMARKS.md § Staff app polls): 100 staff devices poll the BELLECOUR queue with their
# ETag every 2 s while the shop's events are ingested at 300/s. Loopback only, bounded in time; a fresh database
# that is dropped at the end.
#
# Usage: scripts/bench-staff-poll.sh [BIN_DIR]   BIN_DIR holds ocpizza-bridge and examples/{staff_poll,loadgen}
#        (default target/release). Runs A polls alone, B ingest alone, C both, D ingest alone again.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release}"
server="${OCPIZZA_TEST_DATABASE_SERVER:-mysql://root@127.0.0.1:3306}"
port=18480; sink=19480
# shellcheck source=scripts/scratch-db.sh
. scripts/scratch-db.sh  # the working directory is the repository root (cd above)
scratch_db ocpizza_bench_staff "$bin/ocpizza-bridge"
echo 4821 | "$bin/ocpizza-bridge" --database-url "$url" staff set-pin BELLECOUR luca.b >/dev/null
# 13 open BELLECOUR orders of two Margheritas each, so that the queue carries recipes (plain SQL, valid on the
# schema before and after migration 20261207000030).
mariadb "${mysql_args[@]}" "$db" <<'SQL'
INSERT INTO customers (shop_customer_id, email, first_name, last_name, phone) VALUES (800001, 'bench@example.fr', 'Bench', 'Mark', NULL);
INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, payment_method, currency, total_cents, status, placed_at)
SELECT 800000 + n.n, CONCAT('BENCH', n.n), r.id, c.id, 'takeaway', 'at_restaurant', 'EUR', 1980, 'received', UTC_TIMESTAMP(6)
FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL
      SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10 UNION ALL SELECT 11 UNION ALL SELECT 12 UNION ALL SELECT 13) n,
     restaurants r, customers c
WHERE r.code = 'BELLECOUR' AND c.shop_customer_id = 800001;
INSERT INTO order_lines (order_id, line_no, kind, product_id, name, quantity, unit_price_cents, vat_rate)
SELECT o.id, 1, 'product', p.id, 'Pizza Margherita', 2, 990, 10.00 FROM orders o, products p
WHERE o.shop_order_id > 800000 AND p.sku = 'PIZZA-MARGHERITA';
INSERT INTO order_status_history (order_id, seq, from_status, to_status, changed_at)
SELECT id, 1, NULL, 'received', UTC_TIMESTAMP(6) FROM orders WHERE shop_order_id > 800000;
SQL

secret="whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
env -u OCPIZZA_DOLIBARR_URL -u OCPIZZA_DOLIBARR_API_KEY -u OCPIZZA_APNS_KEY_FILE -u OCPIZZA_APNS_KEY_ID \
    -u OCPIZZA_APNS_TEAM_ID -u OCPIZZA_APNS_TOPIC -u OCPIZZA_CONFIG -u OCPIZZA_PRESTASHOP_URL \
  OCPIZZA_DATABASE_URL="$url" OCPIZZA_LISTEN="127.0.0.1:$port" OCPIZZA_WEBHOOK_SECRETS="$secret" \
  OCPIZZA_SINK_URL="http://127.0.0.1:$sink/sink" RUST_LOG=warn \
  "$bin/ocpizza-bridge" serve >"/tmp/bench-staff-poll-$$.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "the bridge exited:"; cat "/tmp/bench-staff-poll-$$.log"; exit 1; }
  sleep 0.2
done

PL=("$bin/examples/staff_poll" --base "http://127.0.0.1:$port" --restaurant BELLECOUR --login luca.b --pin 4821 --devices 100 --every-ms 2000)
LG=("$bin/examples/loadgen" --url "http://127.0.0.1:$port/webhooks/prestashop" --secret "$secret" --sink "127.0.0.1:$sink" --connections 16 --rate 300)
uptime
echo "== A polls alone";        "${PL[@]}" --duration 20
echo "== B ingest alone";       "${LG[@]}" --duration 20 --drain 10
echo "== C ingest + polls";     "${PL[@]}" --duration 22 & poller=$!; "${LG[@]}" --duration 20 --drain 10; wait "$poller"
echo "== D ingest alone again"; "${LG[@]}" --duration 20 --drain 10
uptime
