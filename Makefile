# The two commands of the README, plus benchmarks. Each creates .venv with the machine's
# python3 and installs into it; a stamp file re-installs only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench lint rules clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.base $@

demo: $(VENV)/.base
	@echo "== a passing dataset (fine-tune, conversational with tools) =="
	$(BIN)/ftdata validate examples/conversation.jsonl examples/conversation_tools.jsonl examples/multimodal.jsonl
	@echo
	@echo "== a failing dataset: every problem in one pass, each with its line, JSON path and code =="
	$(BIN)/ftdata validate examples/invalid/conversation_bad.jsonl; test $$? -eq 1
	@echo
	@echo "== the same failing file as the server's validation_report (JSON) =="
	$(BIN)/ftdata validate --output json --max-errors 2 examples/invalid/conversation_bad.jsonl | head -n 40; true

test: lint
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy

# After editing validator/rules/registry.toml: regenerate codes.py and the README's rule table
rules: $(VENV)/.base
	$(BIN)/python -m validator.rules.generate

bench: $(VENV)/.dev
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
