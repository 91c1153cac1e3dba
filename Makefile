# Two entry points (see README): `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# The example: import and deduplicate, record two reviewers' example decisions through the
# Python API, then regenerate the flow outputs in out/link-workers/.
demo: $(BIN)/.installed
	$(BIN)/searchflow run protocols/link-workers.toml
	$(BIN)/python protocols/example_screening.py protocols/link-workers.toml
	$(BIN)/searchflow run protocols/link-workers.toml

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

bench: $(BIN)/.installed
	$(BIN)/python tests/benchmarks/bench_import.py

clean:
	rm -rf $(VENV) out protocols/*.db protocols/*.db-wal protocols/*.db-shm protocols/*.lock
