# The two commands a new user needs: `make demo` (install, then run the main job offline) and
# `make test`. Everything installs into .venv from this project's pyproject.toml.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install demo test ui bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -e ".[test,team]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/hubscope demo

test: install
	$(PY) -m pytest

ui: install
	$(VENV)/bin/hubscope ui

bench: install
	for b in bench/*.py; do $(PY) $$b || exit 1; done

# Mutation testing of the core logic (docs/mutation.md): installs the `mutants` extra (mutmut), runs
# each group of modules against the tests that exercise it, one worker, niced, then prints the
# score per module and the surviving mutants. Long (tens of minutes); not part of `make test`.
$(VENV)/.mutants-installed: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/pip install -q -e ".[test,team,mutants]"
	touch $@

.PHONY: mutants
mutants: $(VENV)/.mutants-installed
	nice -n 10 $(PY) tools/mutants.py
