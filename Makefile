# The front door. `make` alone lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

PROTO_SRC := $(shell find proto -name '*.proto')
GEN_DIR := libs/contracts/src

.PHONY: help install browser fault-tools run test test-faults test-fast lint proto proto-check clean bench certs

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml cli/pyproject.toml)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced ## create .venv from the lock file (nothing if up to date)

# Debian packages some tests need, installed when missing (as root, or with sudo).
define apt_install
	@missing=""; for c in $(2); do command -v $$c >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing $(1) from Debian"; \
	  $$sudo apt-get install -y -q --no-install-recommends $(1) >/dev/null || \
	  { $$sudo apt-get update -q >/dev/null && \
	    $$sudo apt-get install -y -q --no-install-recommends $(1) >/dev/null; }; \
	fi
endef

browser: ## Debian's Chromium and ChromeDriver, for the report page's browser test
	$(call apt_install,chromium chromium-driver,chromium chromedriver)

fault-tools: ## Debian's iptables and faketime, for the partition and clock-skew tests
	$(call apt_install,iptables faketime,iptables faketime)

run: install ## start the whole system on embedded defaults (Ctrl-C stops it)
	$(VENV)/bin/portfolio stack run

certs: install ## a local CA, service and agency certificates and a token key in var/pki (development)
	$(VENV)/bin/portfolio pki init --dir var/pki

test: install browser fault-tools ## run the whole test suite (CI runs this)
	$(VENV)/bin/pytest

test-faults: install browser fault-tools ## RELIABILITY.md's rows at their larger sizes, longer fuzzing
	FAULTS_SCALE=full $(VENV)/bin/pytest -m "faults or fuzz or security"
	$(PY) scripts/reliability_report.py

test-fast: install ## unit tests only
	$(VENV)/bin/pytest -m "not integration and not e2e"

lint: install ## ruff, mypy --strict, import-linter, generated code drift
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(MAKE) --no-print-directory proto-check

proto: install ## generate Python code and stubs from proto/
	rm -rf $(GEN_DIR)/eportfolio
	$(PY) -m grpc_tools.protoc -Iproto --python_out=$(GEN_DIR) --mypy_out=$(GEN_DIR) \
		--grpc_python_out=$(GEN_DIR) --mypy_grpc_out=$(GEN_DIR) $(PROTO_SRC)
	find $(GEN_DIR)/eportfolio -type d -exec touch {}/__init__.py \;

proto-check: ## fail when generated code is out of date with proto/
	@tmp=$$(mktemp -d); \
	$(PY) -m grpc_tools.protoc -Iproto --python_out=$$tmp --mypy_out=$$tmp \
		--grpc_python_out=$$tmp --mypy_grpc_out=$$tmp $(PROTO_SRC) >/dev/null; \
	find $$tmp/eportfolio -type d -exec touch {}/__init__.py \; ; \
	diff -r -q $$tmp/eportfolio $(GEN_DIR)/eportfolio -x __pycache__ && echo "generated code is up to date"; \
	rc=$$?; rm -rf $$tmp; exit $$rc

clean: ## remove local state (event stores, logs) under var/
	rm -rf var/*
