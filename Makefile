# The README's two commands: `make up` (a one-node pool) and `make test` (every test).
BUILD ?= build
JOBS ?= $(shell nproc)
WERROR := $(if $(CI),ON,OFF)
CMAKE_FLAGS ?=
ARGS ?=

.PHONY: deps configure build up test samples screenshots install-cli clean

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DFASTGPU_WERROR=$(WERROR) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Puts `fastgpu` on PATH: /usr/local/bin when writable, else ~/.local/bin.
install-cli: build
	@bash scripts/link-cli.sh $(BUILD)/src/main/fastgpu

up: install-cli
	@$(BUILD)/src/main/fastgpu up $(ARGS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 600

# The tests whose output the README quotes, run again to write it: screenshots of each dashboard
# page to docs/img/ (the browser tests), output samples to docs/samples/ (the tour, the 80-column
# terminal and the Python client's example). tests/docs/test_readme.py checks the README's copies.
samples: build
	@cd $(BUILD) && FASTGPU_SCREENSHOTS=$(CURDIR)/docs/img FASTGPU_SAMPLES_DIR=$(CURDIR)/docs/samples \
	  ctest --output-on-failure -L web
	@cd $(BUILD) && FASTGPU_SAMPLES_DIR=$(CURDIR)/docs/samples \
	  ctest --output-on-failure -R '^integration\.(tour|tui|python_client)$$'

screenshots: samples

clean:
	rm -rf $(BUILD)
