#!/usr/bin/env bash
# Make sure HAProxy (Debian package) is installed; the cluster runs it as its
# own process with deploy/haproxy.cfg, not as the system service.
set -euo pipefail
if ! command -v haproxy >/dev/null 2>&1; then
  echo "==> installing HAProxy (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq haproxy >/dev/null
  # The package starts a system service on :80 with its own config; not ours.
  (systemctl disable --now haproxy || service haproxy stop) >/dev/null 2>&1 || true
fi
command -v haproxy
