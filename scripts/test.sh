#!/usr/bin/env bash
# Everything that must pass: unit tests, data validation, Rasa test stories,
# and the held-out NLU evaluation gates. Sets itself up on a fresh machine.
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/setup.sh"
export DANA_DATABASE_URL="sqlite:///$ROOT/var/test.db"
rm -f "$ROOT/var/test.db"

echo "==> ruff (lint, format) and mypy on bot/ actions/ channels/ nlu/"
"$VENV/bin/ruff" check bot actions channels nlu
"$VENV/bin/ruff" format --check --quiet bot actions channels nlu
"$VENV/bin/mypy" --no-error-summary

echo "==> rasa data validate"
"$VENV/bin/rasa" data validate --domain domain --data nlu stories --config config.yml --quiet

echo "==> Rasa test stories (kk and ru)"
rm -rf results
"$VENV/bin/rasa" test core --model models/dana.tar.gz --stories tests/stories \
  --endpoints endpoints.yml --fail-on-prediction-errors --out results --quiet

echo "==> held-out NLU evaluation"
"$PY" -m bench.eval_nlu --model models/dana.tar.gz --gate

# The back-office tests run on SQLite, and on PostgreSQL too when a URL is
# given; on CI (and with DANA_WITH_POSTGRES=1) a local server is started.
if [ -z "${DANA_TEST_POSTGRES_URL:-}" ] && { [ "${CI:-}" = "true" ] || [ -n "${DANA_WITH_POSTGRES:-}" ]; }; then
  DANA_TEST_POSTGRES_URL="$("$ROOT/scripts/postgres.sh")"
  export DANA_TEST_POSTGRES_URL
fi
echo "==> pytest (databases: sqlite${DANA_TEST_POSTGRES_URL:+, postgresql})"
"$PY" -m pytest -q tests
