# Parrain: `make demo` runs the sandbox, `make test` runs every check. `make` lists the targets.

.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DJANGO_ADMIN := $(CURDIR)/$(VENV)/bin/django-admin
INSTALLED := $(VENV)/.installed
MANAGE := $(PY) sandbox/manage.py
ADDRESS := 127.0.0.1:8000
# Test processes (pytest-xdist): the CI machine has two cores.
TEST_JOBS ?= 2
, := ,
CATALOGUES := core sandbox plugins/generic_webhook plugins/wagtail plugins/oscar
# Progress lines: `$(call step,text)` prints "==> [+12s] text", counted from make's start.
START := $(shell date +%s)
step = @echo "==> [+$$(( $$(date +%s) - $(START) ))s] $(1)"

.PHONY: help install translations demo test lint bandit bench openapi messages clean widget

# Widget (issue 3): built from widget_js/ with esbuild; the bundle is not committed.
WIDGET := core/static/parrain/widget.js
WIDGET_NPM := widget_js/node_modules/.installed
WIDGET_SOURCES := $(wildcard widget_js/src/*.js) widget_js/build.mjs

help: ## List the targets with what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(PY):
	$(call step,Creating the virtualenv $(VENV))
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml setup.py | $(PY)
	$(call step,Installing Parrain and its dependencies into $(VENV) (a first run takes 1-3 minutes on a quiet machine))
	$(PY) -m pip install --quiet --progress-bar off -e '.[dev]'
	$(call step,Installed)
	@touch $@

install: $(INSTALLED) $(WIDGET) ## Create .venv and install Parrain with its dev tools (again only when pyproject.toml or setup.py changed)

$(WIDGET_NPM): widget_js/package.json widget_js/package-lock.json
	$(call step,Installing the widget's build tools (npm ci))
	cd widget_js && npm ci --no-audit --no-fund
	@touch $@

$(WIDGET): $(WIDGET_NPM) $(WIDGET_SOURCES)
	$(call step,Building the widget)
	cd widget_js && npm run --silent build

widget: $(WIDGET) ## Build the embeddable widget (npm ci + esbuild) into core/static/parrain/widget.js

translations: $(INSTALLED) ## Compile the French catalogues (needs gettext's msgfmt; skipped without it)
	@if ! command -v msgfmt >/dev/null; then echo "msgfmt not found: translations not compiled"; exit 0; fi; \
	for app in $(CATALOGUES); do \
		if [ -d $$app/locale ]; then (cd $$app && $(DJANGO_ADMIN) compilemessages --verbosity 0); fi; \
	done

# The demo's base URL (share links, widget API, seeded origins, Wagtail site) follows ADDRESS:
# sandbox/demo_address.py turns it into http://host:port; PARRAIN_BASE_URL set in the
# environment wins. Running `make demo ADDRESS=…` again re-homes the seeded programs.
demo: export PARRAIN_DEMO_ADDRESS = $(ADDRESS)
demo: $(INSTALLED) $(WIDGET) translations ## Seed the demo database and serve it (DEBUG on) on ADDRESS, 127.0.0.1:8000 unless e.g. make demo ADDRESS=localhost:8101
	$(call step,Creating or updating the demo database (SQLite file demo.sqlite3; a first run applies every migration))
	$(MANAGE) migrate --no-input
	$(call step,Seeding the referral program$(,) contacts$(,) badges and offers)
	$(MANAGE) parrain_demo
	$(call step,Seeding the Oscar shop)
	$(MANAGE) parrain_oscar_demo  # Oscar shop: catalogue, shipping country, referrer account (issue 4)
	$(call step,Seeding the Wagtail landing page)
	$(MANAGE) parrain_wagtail_demo --shop-url /shop/  # Wagtail landing page at /parrainage/ (issue 5), next step: the shop
	$(call step,Ready (a first run takes 3-5 minutes on a quiet machine$(,) later runs seconds))
	@url=$$($(PY) -m sandbox.demo_address); echo; \
	echo "  Home page        $$url/"; \
	echo "  Administration   $$url/admin/   (login: admin / admin, demo only)"; \
	echo "  API docs         $$url/api/v1/docs"; \
	echo "  Wagtail admin    $$url/cms/     (same login)"; \
	echo "  Landing page     $$url/parrainage/"; \
	echo "  OpenAPI schema   $$url/api/v1/openapi.json"; \
	echo "  Oscar shop       $$url/shop/   (referrer: alice@example.com / alice-demo-2026)"; \
	echo "  Referral dashboard $$url/shop/dashboard/referral/   (admin / admin)"; \
	echo "  Demo outbox      $$url/demo/outbox/   (emails the demo sent; SMS print on this console)"; \
	echo "  Secret key       .demo/secret_key (made on the first run, this checkout only)"; \
	echo
	DJANGO_DEBUG=1 $(MANAGE) runserver $(ADDRESS)

test: lint $(WIDGET) ## Run the linters, the migrations check and the whole test suite
	cd widget_js && npm test --silent
	@# Browser tests drive Debian's chromium; installed here when missing (as root, e.g. in CI).
	tests/browser/ensure_chromium.sh
	$(PY) -m pytest -n $(TEST_JOBS) --dist load
	@# Each tests/only_<name>/ is an install without the other adapters: own process, own settings.
	@shopt -s nullglob; for dir in tests/only_*/; do \
		name=$$(basename $$dir); echo "== $$name (settings tests.$$name.settings)"; \
		$(PY) -m pytest --ds=tests.$$name.settings $$dir; \
	done
	@# The demo runs on SQLite: the tests marked sqlite (its seeding…) run there too, and a
	@# naive datetime (SQLite gives raw SQL datetimes back naive) fails them.
	@echo "== SQLite, the demo's database (tests marked sqlite)"
	PARRAIN_TEST_DB=sqlite $(PY) -m pytest -m sqlite -q -W "error:DateTimeField:RuntimeWarning"

lint: $(INSTALLED) bandit ## ruff check and format, bandit, and check that no model change lacks its migration
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --quiet .
	PARRAIN_SQLITE=:memory: $(MANAGE) makemigrations --check --dry-run

bandit: $(INSTALLED) ## Security lint of core/, plugins/ and standalone/ (bandit, configured in pyproject.toml; accepted findings carry a "# nosec B… # reason" in place)
	$(VENV)/bin/bandit -c pyproject.toml -r core plugins standalone --quiet

bench: $(INSTALLED) ## Run the benchmark scripts in bench/
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no benchmark in bench/"; fi; \
	for script in "$${scripts[@]}"; do echo "== $$script"; $(PY) "$$script"; done

openapi: $(INSTALLED) ## Write the APIs' OpenAPI schemas to docs/openapi.json and docs/openapi-public.json
	$(PY) -m parrain.core.api.export_openapi > docs/openapi.json.tmp
	mv docs/openapi.json.tmp docs/openapi.json
	$(PY) -m parrain.core.api.export_openapi --public > docs/openapi-public.json.tmp
	mv docs/openapi-public.json.tmp docs/openapi-public.json

messages: $(INSTALLED) ## Update the French catalogues from the code and templates, then compile them
	@for app in $(CATALOGUES); do \
		(cd $$app && DJANGO_SETTINGS_MODULE=sandbox.settings PYTHONPATH=$(CURDIR) \
			$(DJANGO_ADMIN) makemessages --locale fr --ignore 'migrations/*'); \
	done
	@$(MAKE) --no-print-directory translations

clean: ## Remove the virtualenv, the demo database and key, caches and build files
	rm -rf $(VENV) demo.sqlite3 .demo .static build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
	rm -rf widget_js/node_modules $(WIDGET) tests/artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
