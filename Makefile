# adlab: two commands do all set-up.  `make demo` runs the main demo, `make test` the whole suite.
# Only Python 3.11 + pip are assumed. torch is pinned to 2.13.0 here (a CPU-friendly wheel);
# pyproject.toml keeps a loose torch>=2.2 for Colab and GPU users.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.adlab-installed
BOOK_STAMP := $(VENV)/.adlab-book-installed
TORCH_PIN := torch==2.13.0
# Real ADBench files for tests/benchmarks; override with ADLAB_DATA_DIR=/your/dir.
SHARED_DATA := $(abspath ../shared/data/adbench)
export ADLAB_DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)
export MPLBACKEND := Agg
CELL_TIMEOUT ?= 900

.PHONY: setup demo test test-fast notebooks labs bench book book-check clean

setup: $(STAMP)

# Set-up prints one line per step; a step that fails prints its whole log (also kept in
# $(SETUP_LOG)). `make setup VERBOSE=1` shows everything as it happens.
SETUP_LOG := $(VENV)/setup.log
comma := ,
step = @echo "setup: $(1)"; if [ -n "$(VERBOSE)" ]; then $(2); else $(2) >>$(SETUP_LOG) 2>&1 || { \
	cat $(SETUP_LOG); echo "setup failed at: $(1) (full log above and in $(SETUP_LOG))" >&2; exit 1; }; fi

$(STAMP): pyproject.toml Makefile
	@mkdir -p $(VENV) && : > $(SETUP_LOG)
	$(call step,virtual environment in $(VENV),$(PYTHON) -m venv $(VENV))
	$(call step,pip,$(BIN)/python -m pip install --upgrade pip)
	$(call step,$(TORCH_PIN),$(BIN)/python -m pip install "$(TORCH_PIN)")
	$(call step,adlab and its dev extra (editable),$(BIN)/python -m pip install -e ".[dev]" "$(TORCH_PIN)")
	$(call step,Jupyter kernel python3,$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (adlab)")
	@touch $(STAMP)

demo: setup
	$(BIN)/python -m adlab demo

# Unit + model tests, nbval on every notebook and solution (FAST mode), lab checks, exercise drift.
test: setup
	ADLAB_FAST=1 $(BIN)/python -m pytest tests $(wildcard notebooks/*.ipynb solutions/*.ipynb) \
		--nbval-lax --nbval-cell-timeout=$(CELL_TIMEOUT) -p no:cacheprovider

# Regenerate every .ipynb from its py:percent source (keeps cell ids, never adds outputs).
notebooks: setup
	$(BIN)/python -m adlab.notebooks sync

labs: setup
	$(BIN)/python -m adlab.labs build

bench: setup
	$(BIN)/python -m adlab bench --experiment main

# The course as a website: build/book/index.html. Executes every notebook and lab solution
# (FAST unless BOOK_FULL=1) through a cache in build/jupyter_cache; unchanged notebooks are not rerun.
# (the extras live in a variable: a literal comma inside $(call ...) would split its arguments)
BOOK_EXTRAS := .[dev,book]
$(BOOK_STAMP): $(STAMP) pyproject.toml
	$(call step,book extra: Sphinx + myst-nb + sphinx-book-theme + selenium,$(BIN)/python -m pip install -e "$(BOOK_EXTRAS)" "$(TORCH_PIN)")
	$(call step,book extra installed,$(BIN)/python -c "import sphinx$(comma) myst_nb$(comma) sphinx_book_theme$(comma) selenium")
	@touch $(BOOK_STAMP)

book: $(BOOK_STAMP)
	$(BIN)/python book/build.py

# Serve build/book on 127.0.0.1 and check it in headless Chromium (Debian's chromium + chromium-driver):
# console errors, broken internal links/images on every page, figures on notebook pages, search.
book-check: $(BOOK_STAMP)
	$(BIN)/python book/check.py

clean:
	rm -rf $(VENV) .pytest_cache
