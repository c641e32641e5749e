# `make run` and `make test` do all the set-up on a fresh machine (see README.md).
VENV ?= .venv
# The first Python 3.11+ on PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: install run test bench bench-ui clean ui chromium plugins bytecode

install: $(VENV)/.installed

# m3m's own modules compiled ahead (pip does this for the installed packages): every process
# imports them (the server, the fork server, a spawned worker), and where PYTHONDONTWRITEBYTECODE
# is set each one compiled them again, ~0.3-0.5 s of CPU per process (docs/performance.md).
# Python checks each file against its source, so a changed file is never run from a stale one.
bytecode: install
	@$(VENV)/bin/python -m compileall -q kernel builtin_plugins

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "m3m needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	@touch $@

# The example native plugins (native_plugins/examples/*.c) built into ./plugins, where the server
# loads them from (setting native.path). crashy.so crashes on demand: it is there for the tests
# and for trying crash containment out; delete it on a server that matters.
PLUGIN_SOURCES := $(wildcard native_plugins/examples/*.c)
plugins: $(patsubst native_plugins/examples/%.c,plugins/%.so,$(PLUGIN_SOURCES))

plugins/%.so: native_plugins/examples/%.c native_plugins/include/m3m_plugin.h
	gcc -shared -fPIC -O2 -Wall -Wextra -Inative_plugins/include -o $@ $<

# TypeScript, for the check of the runtime typings (tests/test_runtime_typings.py).
tools/typecheck/node_modules/.installed: tools/typecheck/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs Node.js and npm"; exit 1; }
	npm ci --prefix tools/typecheck --no-audit --no-fund --silent
	@touch $@

# The web UI (ui/): `npm ci` when the lock file changed, `vite build` into ui/dist when a source
# did; an unchanged UI is not rebuilt. ui/dist/index.html stands for the whole build.
UI_SOURCES := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/vite.config.ts \
	ui/tsconfig.json ui/tsconfig.app.json ui/tsconfig.node.json

ui/node_modules/.installed: ui/package-lock.json
	@command -v npm >/dev/null || { echo "the web UI needs Node.js and npm"; exit 1; }
	npm ci --prefix ui --no-audit --no-fund --silent
	@touch $@

ui/dist/index.html: ui/node_modules/.installed $(UI_SOURCES)
	npm run --prefix ui --silent build

ui: ui/dist/index.html

# The e2e tests drive Debian's chromium (no browser download works here); CI runs as root.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

run: bytecode ui
	$(VENV)/bin/m3m serve

test: bytecode tools/typecheck/node_modules/.installed ui chromium
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) storage .pytest_cache ui/dist ui/node_modules

bench: bytecode
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(VENV)/bin/python bench/run.py --boot50 --density 200 --body-kb 16
	$(VENV)/bin/python bench/storage.py
	$(VENV)/bin/python bench/boot_cpu.py 12
	$(VENV)/bin/python bench/native_image.py
	$(VENV)/bin/python bench/outgoing_http.py
	$(VENV)/bin/python bench/cpu_hog.py

# The web UI's budget: the sign-in page's JS and the time to an interactive projects page.
bench-ui: install ui chromium
	$(VENV)/bin/python bench/ui.py
