# Lianyi — the two commands of the README are `make run` and `make test`.
# Everything here drives CMake; scripts/deps.sh installs what is missing.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
LISTEN     ?= 127.0.0.1:8080
DATA       ?= ./data

.PHONY: all deps build build-asan run test test-unit test-integration test-e2e test-asan style fuzz fuzz-ci soak bench clean format

all: build

deps:
	@./scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLY_SANITIZE=ON

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# Build, create the demo district in $(DATA) on first start, serve on $(LISTEN).
run: build
	$(BUILD)/lianyi serve --demo --data $(DATA) --listen $(LISTEN) --web-root web

style:
	@./scripts/check-style.sh

# Every test: style, then unit + integration + e2e on the normal build, then
# unit + integration again under AddressSanitizer + UndefinedBehaviorSanitizer,
# with every fuzz target for FUZZ_CI_SECONDS first (fuzz-ci), so the output
# ends with CTest's summary.
test: build build-asan style
	$(MAKE) fuzz-ci
	ctest --test-dir $(BUILD) --output-on-failure -j 2
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -L 'unit|integration' -j 2

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -L unit
test-integration: build
	ctest --test-dir $(BUILD) --output-on-failure -L integration
test-e2e: build
	ctest --test-dir $(BUILD) --output-on-failure -L e2e
test-asan: build-asan
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -L 'unit|integration'

# Short benchmarks (each prints a table); bench/README.md explains the full runs.
bench: build
	BIN=$(BUILD)/lianyi bench/run.sh

# libFuzzer targets for every parser of untrusted input, FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz: deps
	./scripts/fuzz.sh $(FUZZ_SECONDS)

# CI (make test): every target FUZZ_CI_SECONDS under ASan+UBSan, JOBS at a time,
# with a fixed seed from the committed corpus only, so CI's result reproduces here.
FUZZ_CI_SECONDS ?= 30
fuzz-ci: deps
	FUZZ_JOBS=$(JOBS) FUZZ_SEED=1 FUZZ_FRESH=1 ./scripts/fuzz.sh $(FUZZ_CI_SECONDS)

# 10 minutes (SOAK_SECONDS) of the mixed load of tests/integration/crash_load
# plus sign-in churn, readers and 500 idle WebSocket sessions; RSS sampled
# every 10 s, start/end/peak printed; fails when memory keeps growing
# (tests/soak/soak.mjs). Not part of `make test`.
SOAK_SECONDS ?= 600
soak: build
	SOAK_SECONDS=$(SOAK_SECONDS) LIANYI_BIN=$(BUILD)/lianyi LIANYI_SRC=$(CURDIR) node tests/soak/soak.mjs

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
