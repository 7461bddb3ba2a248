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
