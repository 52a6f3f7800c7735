#!/usr/bin/env bash
# Make sure the services the tests talk to are running on this machine: MariaDB (127.0.0.1:3306), Redis
# (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432, the metadata database of the cluster tests). The SQS endpoint (moto) is started by the test session itself on a free loopback port.
set -euo pipefail

wait_for() {  # wait_for NAME COMMAND...: up to 30 s
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "services: $name did not come up within 30 s" >&2; return 1
}

# The tests also start private redis-servers of their own (TLS with a throw-away CA made by openssl, and a
# three-node Redis Cluster joined by redis-cli --cluster): the tools must be there.
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null || ! command -v openssl >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "services: installing Debian packages redis-server redis-tools openssl"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools openssl >/dev/null
  else
    echo "services: the tests need redis-server, redis-cli and openssl: sudo apt-get install redis-server redis-tools openssl" >&2
    exit 1
  fi
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "services: starting Redis on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for redis redis-cli -h 127.0.0.1 -p 6379 ping
fi

if ! mariadb -uroot -h127.0.0.1 -e 'SELECT 1' >/dev/null 2>&1; then
  [ -x /usr/sbin/mariadbd ] || { echo "services: MariaDB is not installed (apt-get install mariadb-server)" >&2; exit 1; }
  echo "services: starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for mariadb mariadb -uroot -h127.0.0.1 -e 'SELECT 1'
fi
. "$(dirname "$0")/postgres.sh"
ensure_postgres
echo "services: MariaDB, Redis and PostgreSQL answer"
