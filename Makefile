# The README's two commands: `make up` (a one-node pool) and `make test` (every test).
BUILD ?= build
JOBS ?= $(shell nproc)
WERROR := $(if $(CI),ON,OFF)
CMAKE_FLAGS ?=
ARGS ?=

.PHONY: deps configure build up test screenshots install-cli clean

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

# The browser tests again, writing their screenshots of each dashboard page to docs/img/.
screenshots: build
	@cd $(BUILD) && FASTGPU_SCREENSHOTS=$(CURDIR)/docs/img ctest --output-on-failure -L web

clean:
	rm -rf $(BUILD)
