#!/usr/bin/env bash
# Bring Dana up: set-up if needed, then the action server and the Rasa server
# (REST webhook + HTTP API), then a terminal chat. Ctrl-D or Ctrl-C stops all.
# DANA_NO_CHAT=1 keeps the servers in the foreground without the chat.
source "$(dirname "$0")/env.sh"
# Rasa's HTTP API can read and change every conversation, and a conversation
# holds personal data: it is always served with a token, loopback too —
# RASA_AUTH_TOKEN, or one generated once into var/api-token (only its owner reads it).
if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  if [ ! -s "$ROOT/var/api-token" ]; then
    (umask 077; head -c 32 /dev/urandom | base64 | tr -d '\n=' | tr '+/' '-_' >"$ROOT/var/api-token")
  fi
  RASA_AUTH_TOKEN="$(cat "$ROOT/var/api-token")"
  echo "==> Rasa's HTTP API token: var/api-token (set RASA_AUTH_TOKEN to choose one)"
fi
auth=(--auth-token "$RASA_AUTH_TOKEN")

"$ROOT/scripts/setup.sh"

LOGS="$ROOT/var/log"; mkdir -p "$LOGS"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_for() {  # url, name, seconds
  for _ in $(seq "$3"); do
    if curl -fs "$1" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "$2 did not start; see $LOGS" >&2; exit 1
}

echo "==> action server on :$ACTION_PORT"
"$VENV/bin/rasa" run actions --actions actions --port "$ACTION_PORT" >"$LOGS/actions.log" 2>&1 &
pids+=($!)
echo "==> Rasa server on $DANA_HOST:$RASA_PORT"
"$PY" -m bot.server run --enable-api "${auth[@]}" -i "$DANA_HOST" -p "$RASA_PORT" \
  -m models/dana.tar.gz --endpoints endpoints.yml --credentials credentials.yml \
  --cors "*" >"$LOGS/rasa.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$ACTION_PORT/health" "action server" 60
wait_for "http://127.0.0.1:$RASA_PORT/" "Rasa server" 180

cat <<MSG

Dana is up.
  REST:     curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"Сәлеметсіз бе"}'
  Widget:   http://localhost:$RASA_PORT/webhooks/widget/
  Console:  http://localhost:$RASA_PORT/webhooks/console/  (operators and supervisors; docs/console.md)
  Metrics:  curl -s localhost:$RASA_PORT/metrics; curl -s localhost:$ACTION_PORT/metrics  (docs/metrics.md)
  Logs:     $LOGS
MSG
# The console has no default account: the first one is made here, by whoever runs the servers.
if ! "$PY" -m bot staff list --json 2>/dev/null | grep -q '"username"'; then
  cat <<MSG
  First login: no staff account yet. Make a supervisor (asks for a password, 10+ characters):
            .venv/bin/python -m bot staff add <name> --role supervisor
          and operators with --role operator; then log in at the console address above.
MSG
fi
if [ -n "${DANA_NO_CHAT:-}" ] || [ ! -t 0 ]; then
  echo "Servers running; Ctrl-C stops them."
  wait
else
  "$PY" -m scripts.chat --url "http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook"
fi
