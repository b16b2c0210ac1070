# The two commands a new user needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3.11
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen

.PHONY: install demo test lint typecheck unit check-schemas bench

$(UV):
	$(PYTHON) -m pip install --user --quiet 'uv==0.13.9'

install: $(UV)
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --python $(PYTHON)

demo: install
	$(RUN) lawful demo

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports

typecheck: install
	$(RUN) mypy

test: lint typecheck k8s-check
	$(RUN) pytest

.PHONY: k8s-check
k8s-check: $(UV)
	UV=$(UV) PYTHON=$(PYTHON) bash .ci/k8s-check

bench: install
	$(RUN) python bench/engine.py
