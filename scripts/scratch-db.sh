# Sourced by the scripts that run a bridge on a database of their own (schemathesis.sh, bench-staff-poll.sh).
# `scratch_db PREFIX BRIDGE` creates `PREFIX_<pid>` on $server (mysql://user@host:port), migrates and seeds it with
# BRIDGE, and sets db, url and mysql_args. On exit the background process $pid (when set) is stopped and the
# database dropped, whatever happened.
scratch_db() {
  local prefix=$1 bridge=$2 host_port
  db="${prefix}_$$"
  url="$server/$db"
  host_port=${server#mysql://}; host_port=${host_port#*@}
  mysql_args=(-h "${host_port%%:*}" -P "${host_port##*:}" -u root)
  pid=""
  trap scratch_db_cleanup EXIT
  mariadb "${mysql_args[@]}" -e "CREATE DATABASE \`$db\`"
  "$bridge" --database-url "$url" migrate >/dev/null
  "$bridge" --database-url "$url" seed >/dev/null
}

scratch_db_cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  mariadb "${mysql_args[@]}" -e "DROP DATABASE IF EXISTS \`$db\`" || true
}
