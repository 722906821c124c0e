#!/usr/bin/env bash
# Everything that must pass: unit tests, data validation, Rasa test stories,
# and the held-out NLU evaluation gates. Sets itself up on a fresh machine.
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/setup.sh"
export DANA_DATABASE_URL="sqlite:///$ROOT/var/test.db"
rm -f "$ROOT/var/test.db"

echo "==> rasa data validate"
"$VENV/bin/rasa" data validate --domain domain --data nlu stories --config config.yml --fail-on-warnings --quiet

echo "==> Rasa test stories (kk and ru)"
rm -rf results
"$VENV/bin/rasa" test core --model models/dana.tar.gz --stories tests/stories \
  --endpoints endpoints.yml --fail-on-prediction-errors --out results --quiet

echo "==> held-out NLU evaluation"
"$PY" -m bench.eval_nlu --model models/dana.tar.gz --gate

echo "==> pytest"
"$PY" -m pytest -q tests
