#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 and the test database exists.
set -euo pipefail
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "Starting PostgreSQL…"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname='ioc_test'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc "create database ioc_test"
fi
