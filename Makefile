# `make run` and `make test` do all the set-up on a fresh machine (see README.md).
VENV ?= .venv
# The first Python 3.11+ on PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: install run test bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "m3m needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	@touch $@

# TypeScript, for the check of the runtime typings (tests/test_runtime_typings.py).
tools/typecheck/node_modules/.installed: tools/typecheck/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs Node.js and npm"; exit 1; }
	npm ci --prefix tools/typecheck --no-audit --no-fund --silent
	@touch $@

run: install
	$(VENV)/bin/m3m serve

test: install tools/typecheck/node_modules/.installed
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) storage .pytest_cache

bench: install
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(VENV)/bin/python bench/run.py --boot50
	$(VENV)/bin/python bench/storage.py
