# The two commands a newcomer needs: make run, make test.
PORT ?= 5000
PYTHON ?= python3
VENV := .venv
FLASK := $(VENV)/bin/flask --app app

.PHONY: run test lint clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(VENV)/bin/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(VENV)/bin/pip install --quiet -e '.[test]'
	@touch $@

## Install, prepare instance/ (schema, secret key, welcome post) and start the site.
run: $(VENV)/.installed
	$(FLASK) setup --url http://127.0.0.1:$(PORT)
	BLOG_TEMPLATES_AUTO_RELOAD=true $(FLASK) run --host 127.0.0.1 --port $(PORT) --reload

## Install the test dependencies and run the whole suite, browser tests included.
test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
