# Shared by the scripts: paths, defaults and the Python 3.10 virtualenv.
# Every setting can be overridden from the environment.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
export RASA_PORT="${RASA_PORT:-5005}"
export ACTION_PORT="${ACTION_PORT:-5055}"
export DANA_HOST="${DANA_HOST:-127.0.0.1}"
mkdir -p "$ROOT/var"
export DANA_DATABASE_URL="${DANA_DATABASE_URL:-sqlite:///$ROOT/var/dana.db}"
# Channels: empty means "not configured" (the channel answers 503).
export TELEGRAM_BOT_TOKEN="${TELEGRAM_BOT_TOKEN:-}"
export TELEGRAM_WEBHOOK_SECRET="${TELEGRAM_WEBHOOK_SECRET:-}"
export TELEGRAM_API_URL="${TELEGRAM_API_URL:-https://api.telegram.org}"
export META_APP_SECRET="${META_APP_SECRET:-}"
export META_VERIFY_TOKEN="${META_VERIFY_TOKEN:-}"
export META_PAGE_ACCESS_TOKEN="${META_PAGE_ACCESS_TOKEN:-}"
export WHATSAPP_ACCESS_TOKEN="${WHATSAPP_ACCESS_TOKEN:-}"
export WHATSAPP_PHONE_NUMBER_ID="${WHATSAPP_PHONE_NUMBER_ID:-}"
export GRAPH_API_URL="${GRAPH_API_URL:-https://graph.facebook.com/v19.0}"
export VOICE_GATEWAY_TOKEN="${VOICE_GATEWAY_TOKEN:-}"
# Public https URL of Rasa for the website widget; empty: the page's own origin.
export DANA_PUBLIC_URL="${DANA_PUBLIC_URL:-}"
# Contact-centre webhook told of every hand-off (empty: CLI queue only).
export DANA_HANDOFF_WEBHOOK_URL="${DANA_HANDOFF_WEBHOOK_URL:-}"
export DANA_HANDOFF_WEBHOOK_SECRET="${DANA_HANDOFF_WEBHOOK_SECRET:-}"
# The receiver may see the transcript unmasked (1), or only with personal data masked.
export DANA_HANDOFF_WEBHOOK_TRUSTED="${DANA_HANDOFF_WEBHOOK_TRUSTED:-}"
# Operator API for live hand-offs (docs/operator-api.md); empty: 503 (or signed calls only).
export DANA_OPERATOR_API_TOKEN="${DANA_OPERATOR_API_TOKEN:-}"
# Chatwoot adapter (channels/chatwoot.py): the account's URL, ids, an agent's access token
# and the token (or webhook secret) Chatwoot's events carry; empty: 503.
export CHATWOOT_URL="${CHATWOOT_URL:-}"
export CHATWOOT_ACCOUNT_ID="${CHATWOOT_ACCOUNT_ID:-}"
export CHATWOOT_INBOX_ID="${CHATWOOT_INBOX_ID:-}"
export CHATWOOT_API_TOKEN="${CHATWOOT_API_TOKEN:-}"
export CHATWOOT_WEBHOOK_TOKEN="${CHATWOOT_WEBHOOK_TOKEN:-}"
# Where the adapter finds the operator API; empty: this server (127.0.0.1:$RASA_PORT).
export DANA_OPERATOR_API_URL="${DANA_OPERATOR_API_URL:-}"
# Per-sender message limit, messages/seconds ("off" disables it; bot/server/rate_limit.py).
export DANA_RATE_LIMIT="${DANA_RATE_LIMIT:-20/60}"
# Messages a Rasa worker processes at once, the rest wait in order (bot/server/admission.py);
# empty: bot/config.py LIMITS, "off": no limit.
export DANA_ACTIVE_MESSAGES="${DANA_ACTIVE_MESSAGES:-}"
# Key for the tags that replace personal data in logs (bot/log_privacy.py);
# set the same secret on every server so one customer's lines match across them.
export DANA_LOG_TAG_KEY="${DANA_LOG_TAG_KEY:-}"
# Conversations and personal data kept this many days (python -m bot purge).
export DANA_RETENTION_DAYS="${DANA_RETENTION_DAYS:-90}"
# in_memory for one Rasa process; redis when several share conversations.
export DANA_LOCK_STORE="${DANA_LOCK_STORE:-in_memory}"
export REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
export REDIS_PORT="${REDIS_PORT:-6379}"
export REDIS_LOCK_DB="${REDIS_LOCK_DB:-1}"
# The local cluster (scripts/cluster.sh): public balancer address, internal
# ports from a base (rasa-N = base+N, actions = base+50+N), its own directory
# (pids, logs, API token) and PostgreSQL database.
export DANA_CLUSTER_HOST="${DANA_CLUSTER_HOST:-127.0.0.1}"
export DANA_CLUSTER_PORT="${DANA_CLUSTER_PORT:-8000}"
export DANA_CLUSTER_BASE_PORT="${DANA_CLUSTER_BASE_PORT:-5100}"
export DANA_CLUSTER_DIR="${DANA_CLUSTER_DIR:-$ROOT/var/cluster}"
export DANA_CLUSTER_DB="${DANA_CLUSTER_DB:-dana}"
export ACTION_SERVER_URL="${ACTION_SERVER_URL:-http://127.0.0.1:$ACTION_PORT/webhook}"
# Rasa and TensorFlow talk a lot at start-up; keep the console for the customer.
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_TELEMETRY_ENABLED=false
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

is_loopback() {  # host: 127.x, ::1 or localhost
  case "$1" in 127.*|::1|localhost) return 0 ;; *) return 1 ;; esac
}

find_python310() {
  if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    command -v python3.10; return
  fi
  for candidate in "$HOME"/.pyenv/versions/3.10*/bin/python /usr/bin/python3.10 /usr/local/bin/python3.10; do
    if [ -x "$candidate" ]; then echo "$candidate"; return; fi
  done
  echo "Python 3.10 not found (Rasa 3.6 needs it): install it or put python3.10 on PATH" >&2
  return 1
}
