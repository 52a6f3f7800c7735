#!/usr/bin/env bash
# The roster application's side of the tests: PHP, Doctrine ORM and DBAL (the application's tool makes the tables the
# warmup tests read: tests/doctrine_schema.py), and the Symfony Messenger 5.4 packages Debian ships
# (the Amazon SQS transport, the serializer behind messenger.transport.symfony_serializer, the worker's events).
# Installs whatever is missing, as root with apt-get; otherwise says what to install.
set -euo pipefail
packages="php-cli php-doctrine-orm php-doctrine-dbal php-mysql php-sqlite3 php-symfony-messenger php-symfony-amazon-sqs-messenger php-symfony-serializer
  php-symfony-property-access php-symfony-event-dispatcher"
missing=""
for package in $packages; do
  [ "$(dpkg-query -W -f '${db:Status-Abbrev}' "$package" 2>/dev/null)" = "ii " ] || missing="$missing $package"
done
missing=${missing# }
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "php: installing Debian packages $missing"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
  echo "php: the side-by-side tests need these Debian packages: sudo apt-get install $missing" >&2
  exit 1
fi
