#!/usr/bin/env bash
# Idempotent set-up: venv, pinned packages, database, trained model.
# Each step is skipped when what it makes is already current.
source "$(dirname "$0")/env.sh"

stamp() { cat "$@" | sha256sum | cut -c1-16; }

if [ ! -x "$PY" ]; then
  echo "==> creating .venv with $(find_python310)"
  "$(find_python310)" -m venv "$VENV"
fi
want="$(stamp requirements.txt constraints.txt)"
if [ "$(cat "$VENV/.dana-deps" 2>/dev/null)" != "$want" ]; then
  echo "==> installing pinned packages (first time: about 2 minutes)"
  "$PY" -m pip install -q --upgrade pip wheel
  "$PY" -m pip install -q -r requirements.txt -c constraints.txt
  "$PY" -m pip check
  echo "$want" > "$VENV/.dana-deps"
fi

# Website widget bundle (web/static/webchat.js); needs npm, skipped when current.
if command -v npm >/dev/null 2>&1; then web/build.sh; else echo "==> no npm: skipping the website widget (web/build.sh)"; fi

echo "==> database: $(echo "$DANA_DATABASE_URL" | sed -E 's#://[^@]*@#://***@#')"
"$PY" -m bot init --seed

# Retrain only when training inputs or the code of custom components changed.
fingerprint="$(find config.yml domain nlu stories bot/text/language bot/text/parsing bot/config.py \
  -type f \( -name '*.yml' -o -name '*.py' \) -not -path '*/__pycache__/*' | sort | xargs cat | sha256sum | cut -c1-16)"
if [ ! -f models/dana.tar.gz ] || [ "$(cat models/.fingerprint 2>/dev/null)" != "$fingerprint" ]; then
  echo "==> training the model (about a minute)"
  start=$(date +%s)
  # Rasa and TensorFlow print pages of warnings while training: they go to the log.
  mkdir -p "$ROOT/var/log"
  if ! "$VENV/bin/rasa" train --domain domain --data nlu stories --config config.yml \
      --out models --fixed-model-name dana --quiet >"$ROOT/var/log/train.log" 2>&1; then
    tail -20 "$ROOT/var/log/train.log" >&2
    echo "training failed; the whole output is in var/log/train.log" >&2
    exit 1
  fi
  echo "$fingerprint" > models/.fingerprint
  echo "    trained in $(( $(date +%s) - start )) s"
else
  echo "==> model is current (models/dana.tar.gz)"
fi
