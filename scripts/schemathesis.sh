#!/usr/bin/env bash
# Runs schemathesis against a live bridge on a fresh database: bridge/openapi.yaml must say exactly what the
# server accepts and answers (issue 14). All checks, a fixed seed and a bounded number of examples; only
# loopback traffic (schemathesis itself comes from PyPI, pinned, into target/tools on the first run).
#
# Usage: scripts/schemathesis.sh [path/to/ocpizza-bridge]   (default target/debug/ocpizza-bridge)
# Env:   OCPIZZA_TEST_DATABASE_SERVER (default mysql://root@127.0.0.1:3306), ST_MAX_EXAMPLES (default 25),
#        ST_SEED (default 20261207).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bridge="${1:-$root/target/debug/ocpizza-bridge}"
server="${OCPIZZA_TEST_DATABASE_SERVER:-mysql://root@127.0.0.1:3306}"
ST_VERSION=4.32.5
venv="$root/target/tools/schemathesis-$ST_VERSION"
work="$root/target/schemathesis"
mkdir -p "$work"

# 1. Schemathesis, pinned, in its own venv (Debian's python3 + python3-venv, installed by scripts/install-deps.sh).
if [ ! -x "$venv/bin/st" ]; then
  echo "== installing schemathesis $ST_VERSION into $venv"
  py=$(command -v /usr/bin/python3 || command -v python3)
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

# 2. A fresh database, migrated and seeded (BELLECOUR exists for the scoped device token).
# shellcheck source=scripts/scratch-db.sh
. scripts/scratch-db.sh  # the working directory is the repository root (cd above)
scratch_db ocpizza_test_schemathesis "$bridge"

# 3. The bridge, on a free loopback port, with a webhook secret, a restaurant-scoped device token and an admin token.
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export ST_WEBHOOK_SECRET="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
export ST_DEVICE_TOKEN="schemathesis-bellecour-token-0123"
export ST_ADMIN_TOKEN="schemathesis-admin-token-0123456"
env -u OCPIZZA_DOLIBARR_URL -u OCPIZZA_DOLIBARR_API_KEY -u OCPIZZA_APNS_KEY_FILE -u OCPIZZA_APNS_KEY_ID \
    -u OCPIZZA_APNS_TEAM_ID -u OCPIZZA_APNS_TOPIC -u OCPIZZA_SINK_URL -u OCPIZZA_CONFIG \
  OCPIZZA_DATABASE_URL="$url" OCPIZZA_LISTEN="127.0.0.1:$port" OCPIZZA_WEBHOOK_SECRETS="$ST_WEBHOOK_SECRET" \
  OCPIZZA_DEVICE_TOKENS="BELLECOUR=$ST_DEVICE_TOKEN" OCPIZZA_ADMIN_TOKEN="$ST_ADMIN_TOKEN" RUST_LOG=warn \
  "$bridge" serve >"$work/bridge.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "the bridge exited:"; cat "$work/bridge.log"; exit 1; }
  sleep 0.2
done

# 4. Schemathesis: every check, fixed seed, bounded examples, one worker (the machine is shared).
echo "== schemathesis $ST_VERSION against http://127.0.0.1:$port (seed ${ST_SEED:-20261207})"
status=0
cd "$work"  # schemathesis keeps its example database in the working directory: under target/, not in the tree
PYTHONPATH="$root/scripts" SCHEMATHESIS_HOOKS=schemathesis_hooks \
  "$venv/bin/st" --config-file "$root/scripts/schemathesis.toml" run "$root/bridge/openapi.yaml" \
    --url "http://127.0.0.1:$port" --checks all --seed "${ST_SEED:-20261207}" \
    --max-examples "${ST_MAX_EXAMPLES:-25}" --workers 1 --phases examples,coverage,fuzzing \
    --report junit --report-dir "$work" 2>&1 | tee "$work/run.log" || status=$?
cd "$root"
# The valid tokens and signatures must have got through: signed events stored, a BELLECOUR device registered.
read -r inbox devices < <(mariadb "${mysql_args[@]}" -N -e \
  "SELECT (SELECT COUNT(*) FROM \`$db\`.inbox), (SELECT COUNT(*) FROM \`$db\`.devices)")
echo "== stored by the run: $inbox signed event(s), $devices device(s)"
if [ "$inbox" -eq 0 ] || [ "$devices" -eq 0 ]; then
  echo "no authenticated request was accepted: the tokens or the signing hook do not work"; status=1
fi
# A server error in the log is a failure even when every answer conformed.
if grep -E ' ERROR ' "$work/bridge.log" >/dev/null; then
  echo "the bridge logged errors during the run ($work/bridge.log):"; grep -E ' ERROR ' "$work/bridge.log" | head -20
  status=1
fi
# The plain closing line CI reads: test cases passed and failures found.
summary=$(grep -E '[0-9]+ generated' "$work/run.log" | tail -1 || true)
passed=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.* ([0-9]+) unique failures?.*/\1/p' <<<"$summary")
if [ "$status" -ne 0 ] && [ -z "$failed" ]; then failed=1; fi
echo "schemathesis: ${passed:-0} passed, ${failed:-0} failed"
exit $status
