#!/usr/bin/env bash
# Website chat widget and operator console: install the pinned npm packages
# (package-lock.json), copy rasa-webchat's UMD bundle to web/static/webchat.js
# (served by channels/web.py) and Chart.js's to web/console/chart.umd.js (served
# by channels/console.py), so no page loads code from a CDN.
# Skipped in well under a second when nothing changed.
set -euo pipefail
WEB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$WEB"
BUNDLE=node_modules/rasa-webchat/lib/index.js
OUT=static/webchat.js

# npm writes node_modules/.package-lock.json on every install: newer than the
# lock file means node_modules already matches it.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  command -v npm >/dev/null || { echo "web/build.sh: npm not found (Node 18+ needed for the chat widget)" >&2; exit 1; }
  echo "==> web: npm ci (rasa-webchat, chart.js, playwright-core)"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ ! -f "$OUT" ] || [ "$BUNDLE" -nt "$OUT" ] || [ "$0" -nt "$OUT" ]; then
  # The bundle's CSS @imports Google Fonts; drop it so the page makes no
  # third-party request (privacy, and it works behind a closed firewall).
  sed -E 's#@import url\(https://fonts\.googleapis\.com/[^)]*\);##g' "$BUNDLE" > "$OUT.tmp"
  if grep -q 'fonts.googleapis' "$OUT.tmp"; then
    rm -f "$OUT.tmp"; echo "web/build.sh: Google Fonts import left in the bundle (new rasa-webchat?)" >&2; exit 1
  fi
  mv "$OUT.tmp" "$OUT"
  echo "==> web: $OUT ($(wc -c < "$OUT") bytes)"
fi

CHART=node_modules/chart.js/dist/chart.umd.min.js
CHART_OUT=console/chart.umd.js
if [ ! -f "$CHART_OUT" ] || [ "$CHART" -nt "$CHART_OUT" ]; then
  cp "$CHART" "$CHART_OUT.tmp" && mv "$CHART_OUT.tmp" "$CHART_OUT"
  echo "==> web: $CHART_OUT ($(wc -c < "$CHART_OUT") bytes)"
fi
