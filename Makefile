# Every target a user expects; each works or says what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint demo

$(BIN)/rollouts-ai-job: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

install: $(BIN)/rollouts-ai-job

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check job tests bench e2e
	$(BIN)/ruff format --check job tests bench e2e

demo: install
	$(BIN)/rollouts-ai-job analyze --no-llm --output text \
	  --stable-logs examples/rollouts-demo/stable.log \
	  --canary-logs examples/rollouts-demo/canary-bad.log ; \
	  echo "exit code: $$? (0 pass, 1 fail, 3 inconclusive)"
