#!/usr/bin/env bash
# Start a local Redis from Debian's packages on REDIS_PORT (default 6379) when
# none answers there; used for Rasa's Redis lock store (several Rasa workers or
# servers). Installs the package when it is missing (needs root, as on CI).
set -euo pipefail
port="${REDIS_PORT:-6379}"
if ! command -v redis-server >/dev/null 2>&1; then
  echo "==> installing Redis (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq redis-server >/dev/null
fi
if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
  # Locks only: nothing to persist across restarts.
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -p "$port" ping >/dev/null
echo "redis://127.0.0.1:${port}"
