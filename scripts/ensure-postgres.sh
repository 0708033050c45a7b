#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 and the test databases exist.
set -euo pipefail
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "Starting PostgreSQL…"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# The database ($1, default ioc_test) for a run in one process, and <db>_gw0/_gw1 for the
# workers of `pytest -n 2` (tests/conftest.py creates a missing one too; here is surer).
base=${1:-ioc_test}
for db in "$base" "${base}_gw0" "${base}_gw1"; do
  if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc "create database $db"
  fi
done
