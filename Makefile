# Dana — make help lists the targets. The two that matter: make run, make test.
# Recipes source scripts/env.sh, which is bash (BASH_SOURCE, pipefail): /bin/sh is dash here.
SHELL := /bin/bash
.PHONY: help run serve test setup train validate lint test-stories nlu-eval unit compare compare-deps compare-langid export-misses bench soak storm storm-deps cluster cluster-down cluster-status clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

run:  ## set up if needed, start Dana, chat in the terminal
	@scripts/run.sh

serve:  ## start Dana without the terminal chat
	@DANA_NO_CHAT=1 scripts/run.sh

test:  ## everything: unit tests, validation, test stories, NLU gates
	@scripts/test.sh

setup:  ## venv, packages, database, model (each only when needed)
	@scripts/setup.sh

train:  ## force retraining
	@rm -f models/.fingerprint && scripts/setup.sh

validate:  ## rasa data validate
	@. scripts/env.sh && .venv/bin/rasa data validate --domain domain --data nlu stories

lint:  ## ruff (lint, format check) and mypy on bot/ actions/ channels/ nlu/ (also in make test)
	@.venv/bin/ruff check bot actions channels nlu && .venv/bin/ruff format --check bot actions channels nlu && .venv/bin/mypy

nlu-eval:  ## held-out NLU figures (intents, out of scope, entities, language id)
	@. scripts/env.sh && .venv/bin/python -m bench.eval_nlu --model models/dana.tar.gz

compare-deps:
	@. scripts/env.sh && "$$PY" -m pip install -q -r bench/requirements-compare.txt -c constraints.txt && "$$PY" -m pip check

compare: compare-deps  ## NLU pipelines side by side (Dana, + Russian lemmas, + DIET, Rasa default), writes docs/pipeline-comparison.md
	@. scripts/env.sh && .venv/bin/python -m bench.compare_pipelines

compare-langid: compare-deps  ## language id: Dana vs lingua, py3langid, fastText, writes docs/langid-comparison.md
	@. scripts/env.sh && .venv/bin/python -m bench.compare_langid --out docs/langid-comparison.md

export-misses:  ## messages Dana did not understand this week, as NLU YAML to label (var/misses.yml)
	@. scripts/env.sh && .venv/bin/python -m bot export-misses --out var/misses.yml

bench:  ## latency/throughput/RSS benchmark, Dana vs stock Rasa
	@. scripts/env.sh && .venv/bin/python -m bench.load

storm-deps:
	@. scripts/env.sh && "$$PY" -m pip install -q -r bench/requirements-storm.txt -c constraints.txt && "$$PY" -m pip check

storm: setup storm-deps  ## Locust storm: customers with think time, an outage storm, 40-turn conversations, one server and the cluster
	@. scripts/env.sh && .venv/bin/python -m bench.storm

cluster:  ## Redis, PostgreSQL, 2 Rasa + 2 action servers behind HAProxy on :8000
	@scripts/cluster.sh up

cluster-status:  ## health of every cluster service
	@scripts/cluster.sh status

cluster-down:  ## stop the cluster (PostgreSQL keeps running)
	@scripts/cluster.sh down

soak:  ## 1000 conversations through a cluster while servers die and restart
	@. scripts/env.sh && .venv/bin/python -m bench.soak --gate

clean:  ## remove models, results and the local database
	rm -rf models results var
