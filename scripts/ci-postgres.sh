#!/usr/bin/env bash
# Installs (when missing) and starts a local PostgreSQL server for the archive's PostgreSQL tests,
# with a database podpis_test owned by role podpis (password podpis, may create databases) on 127.0.0.1:5432.
# The tests read PODPIS_TEST_DATABASE_URL; .ci/run sources this file or exports:
#   PODPIS_TEST_DATABASE_URL=postgres://podpis:podpis@127.0.0.1:5432/podpis_test
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends postgresql
fi
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | grep -q .; then pg_createcluster "$ver" main; fi
cluster=$(pg_lsclusters -h | head -1 | awk '{print $1" "$2}')
pg_ctlcluster $cluster start || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
pg_isready -h 127.0.0.1
su postgres -c "psql -v ON_ERROR_STOP=1 -q" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'podpis') THEN CREATE ROLE podpis LOGIN PASSWORD 'podpis'; END IF;
END $$;
-- the backup test restores into databases of its own (CREATE DATABASE), so the role may create them
ALTER ROLE podpis CREATEDB;
SELECT 'CREATE DATABASE podpis_test OWNER podpis' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'podpis_test')\gexec
SQL
export PODPIS_TEST_DATABASE_URL=postgres://podpis:podpis@127.0.0.1:5432/podpis_test
echo "PostgreSQL ready: $PODPIS_TEST_DATABASE_URL"
