# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make demo   installs everything and starts the local demo
#   make test   installs everything and runs the whole suite (SQLite, then PostgreSQL)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install run upgrade locales clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 'setuptools>=77'
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/forbedring-bot demo

test: $(STAMP)
	$(BIN)/python -m tests.run_suites

run: $(STAMP)
	$(BIN)/forbedring-bot run

upgrade: $(STAMP)
	$(BIN)/forbedring-bot db upgrade

# After changing user-facing text: refresh the template and the three catalogs,
# then translate the new entries in locales/*/LC_MESSAGES/messages.po.
locales: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -w 100 --project forbedring-bot -o locales/messages.pot .
	for lang in nb nn en; do $(BIN)/pybabel update -i locales/messages.pot -d locales -l $$lang -w 100 --no-fuzzy-matching --ignore-obsolete; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
