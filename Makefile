# Two commands on a fresh machine: `make synth` and `make test`.
# Both set up what they need (a .venv with the package, a local cdktf-cli) and
# are quiet and quick when that is already done.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CDKTF_CLI_VERSION := 0.21.0
TOOLS := .tools
CDKTF := $(TOOLS)/node_modules/.bin/cdktf
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_PLUGIN_CACHE_ENV := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup synth test lint bench clean apply-local

CHECKOV := $(TOOLS)/checkov/bin/checkov
CHECKOV_VERSION := 3.3.30

setup: $(VENV)/.installed $(CDKTF) $(CHECKOV)

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "golden-path: installing Python packages into $(VENV) (first run takes a few minutes)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,cdktn]'
	@touch $@

$(CDKTF):
	@echo "golden-path: installing cdktf-cli $(CDKTF_CLI_VERSION) into $(TOOLS)"
	@mkdir -p $(TOOLS)
	@test -f $(TOOLS)/package.json || echo '{"name":"golden-path-tools","private":true}' > $(TOOLS)/package.json
	@npm install --prefix $(TOOLS) --silent --no-audit --no-fund cdktf-cli@$(CDKTF_CLI_VERSION) >/dev/null

# checkov (security scan in `golden-path review`) in its own venv: its pins stay out of ours.
$(CHECKOV):
	@echo "golden-path: installing checkov $(CHECKOV_VERSION) into $(TOOLS)/checkov"
	@$(PYTHON) -m venv $(TOOLS)/checkov
	@$(TOOLS)/checkov/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

# The real cdktf CLI runs examples/app.py (see cdktf.json) and writes cdktf.out/.
synth: setup
	@$(CDKTF) synth --hcl=false >/dev/null 2>$(TOOLS)/synth.err || { cat $(TOOLS)/synth.err; exit 1; }
	@echo "golden-path: synthesized $$(ls cdktf.out/stacks | wc -l) stacks into cdktf.out/stacks"

test: setup
	@$(BIN)/ruff check --quiet constructs tests examples benchmarks
	@$(BIN)/python -m pytest -q

lint: setup
	@$(BIN)/ruff check constructs tests examples benchmarks

bench: setup
	@$(BIN)/python benchmarks/fleet.py

# One stack through the lifecycle test by hand: a local AWS emulator (moto server on
# 127.0.0.1), a platform built in it, the fleet synthesized, then terraform init (S3
# backend on the emulator), apply, the state lock, plan (must be "no changes"), destroy,
# and what is left, with timings. STACK: fargate-web (default), fargate-worker,
# lambda-sqs, lambda-http-api, lambda-function-url, lambda-schedule, team-route, a
# service or stack name, or all.
STACK ?= fargate-web
apply-local: setup
	@$(BIN)/python tests/lifecycle/apply_local.py $(STACK)

clean:
	rm -rf cdktf.out $(TOOLS) $(VENV)
