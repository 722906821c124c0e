#!/usr/bin/env bash
# Start a local PostgreSQL from Debian's packages, make sure database $1
# (default dana_test) exists and print its URL. Installs the package when it
# is missing (needs root, as on CI machines). Used by the tests and the cluster.
set -euo pipefail
db="${1:-dana_test}"
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "==> installing PostgreSQL (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
cluster_running() { pg_lsclusters -h 2>/dev/null | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; }
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  pg_createcluster "$version" main >&2
fi
cluster_running || pg_ctlcluster "$version" main start >&2
runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname='dana'" | grep -q 1 \
  || runuser -u postgres -- psql -qc "CREATE ROLE dana LOGIN SUPERUSER PASSWORD 'dana'" >&2
runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
  || runuser -u postgres -- psql -qc "CREATE DATABASE $db OWNER dana" >&2
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
echo "postgresql://dana:dana@127.0.0.1:${port}/${db}"
