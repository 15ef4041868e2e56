#!/usr/bin/env bash
# Installs (Debian packages) and starts what the test suite needs: PostgreSQL, Redis and
# Chromium. Idempotent: services already running are left alone.
set -euo pipefail

need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)
if ((${#need[@]})); then
  echo "Installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
  if [ -z "$cluster" ]; then
    pg_createcluster 15 main >/dev/null
    cluster="15 main"
  fi
  pg_ctlcluster $cluster start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname='prospector'\"" | grep -q 1 ||
  su postgres -c "psql -q -c \"CREATE ROLE prospector LOGIN CREATEDB PASSWORD 'prospector'\""
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_database WHERE datname='prospector'\"" | grep -q 1 ||
  su postgres -c "createdb -O prospector prospector"

if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
  redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save "" --appendonly no >/dev/null
  for _ in $(seq 1 30); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
echo "PostgreSQL and Redis are up."
