# The build entry points (README.md). Every target installs what is missing first.
# make run: build release and run `pagelift demo`; make test: build and run every test (unit, integration, e2e).
PRESET ?= release
JOBS ?= $(shell nproc)
BUILD_DIR = build/$(PRESET)

.PHONY: all deps configure build run test bench asan-test format clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	cmake --build --preset $(PRESET) -j $(JOBS)

run: build
	$(BUILD_DIR)/src/app/pagelift demo

test: build
	ctest --preset $(PRESET) -j $(JOBS)

bench: build
	bench/run-all $(BUILD_DIR)

asan-test:
	$(MAKE) test PRESET=asan

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf build
