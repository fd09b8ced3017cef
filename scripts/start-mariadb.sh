#!/usr/bin/env bash
# Starts the local MariaDB when it is not answering, and waits until it does.
set -euo pipefail

ping() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1; }

if ping; then exit 0; fi
echo "Starting MariaDB…"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo mkdir -p /run/mysqld && $sudo chown mysql:mysql /run/mysqld 2>/dev/null || true
if [ -d /run/systemd/system ]; then
  $sudo systemctl start mariadb
else
  $sudo start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
fi
for _ in $(seq 1 60); do
  if ping; then exit 0; fi
  sleep 0.5
done
echo "MariaDB did not answer on 127.0.0.1:3306 within 30 s" >&2
exit 1
