# The two commands a newcomer needs: make run, make test.
PORT ?= 5000
# gunicorn processes for make serve; each one serves a request at a time.
WORKERS ?= 3
PYTHON ?= python3
VENV := .venv
FLASK := $(VENV)/bin/flask --app app

.PHONY: run serve test lint clean bench bench-wxr

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

## Install, apply pending migrations and serve the site for real: gunicorn on 127.0.0.1,
## debug off, every log line on standard output. Put nginx in front of it (README).
## No control socket: gunicorn's default is one per user, which a second instance takes over.
## BLOG_SERVE_ADDRESS tells the site it is in production: it answers only the Host names of
## BLOG_BASE_URL / BLOG_TRUSTED_HOSTS, or without them this address (setup prints which).
SERVE_ADDRESS = 127.0.0.1:$(PORT)
serve: $(VENV)/.installed
	BLOG_SERVE_ADDRESS=$(SERVE_ADDRESS) $(FLASK) setup --url http://$(SERVE_ADDRESS) 2>&1
	BLOG_SERVE_ADDRESS=$(SERVE_ADDRESS) FLASK_DEBUG=0 $(VENV)/bin/gunicorn \
		--workers $(WORKERS) --bind $(SERVE_ADDRESS) \
		--access-logfile - --error-logfile - --no-control-socket app:app 2>&1

## Install the test dependencies and run the whole suite, browser tests included, on one
## worker process per core (pytest-xdist; TEST_WORKERS=0 runs it in this one process).
## --dist loadfile keeps a test file on one worker: its module fixtures are made once.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

## Measure the site under gunicorn and wrk against a Flask hello world (see README, Benchmark).
## BENCH_ARGS=--quick for a short smoke run, --large to add 100,000 posts.
bench: $(VENV)/.installed-test
	$(VENV)/bin/python bench/run.py $(BENCH_ARGS)

## Time import-wxr on generated exports of about 10 and 50 MB, with each run's peak RSS
## (issue 18: memory flat in the file's size). BENCH_WXR_POSTS=500 2000 picks other sizes.
bench-wxr: $(VENV)/.installed
	$(VENV)/bin/python bench/wxr_import.py $(BENCH_WXR_POSTS)
