# cerelay: the user's entry point. `make` builds into build/ (program: build/cerelay);
# `make test` installs what is missing, builds, and runs the whole suite, including an
# ASan+UBSan build and short fuzzer runs.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
GEN        := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 10
FUZZ_LONG_SECONDS ?= 600
CTEST_ARGS ?=

.PHONY: all build deps run test test-asan test-tsan fuzz fuzz-smoke bench format format-check \
        kafka kafka-stop clean help

all: build

help:
	@echo "make run        install what is missing, build, start the relay on the local log"
	@echo "make            build everything into $(BUILD)/ (program: $(BUILD)/cerelay)"
	@echo "make test       install missing packages, build, run every test (+ASan, fuzz smoke)"
	@echo "make test-asan  the suite under AddressSanitizer+UndefinedBehaviorSanitizer"
	@echo "make test-tsan  the threaded libraries' tests (log, sink, emitter) under ThreadSanitizer"
	@echo "make fuzz       run every fuzzer for FUZZ_LONG_SECONDS (default 600) each"
	@echo "make bench      build and run the benchmarks"
	@echo "make kafka      start the local Apache Kafka 3.9.1 test broker"
	@echo "make format     clang-format the sources"

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja $(BUILD)/Makefile:
	cmake -S . -B $(BUILD) $(GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test:
	JOBS=$(JOBS) FUZZ_SECONDS=$(FUZZ_SECONDS) CTEST_ARGS="$(CTEST_ARGS)" scripts/test.sh

test-asan: deps
	@[ -n "$$CER_KAFKA_BOOTSTRAP" ] || scripts/kafka.sh start
	cmake -S . -B $(ASAN_BUILD) $(GEN) -DCMAKE_BUILD_TYPE=Debug -DCER_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The emitter's threads (appender, forwarder, committer), the log's group commit and the sinks
# under ThreadSanitizer. librdkafka is not instrumented, so tests that need the broker's
# callbacks are left to the other builds (TSAN_TESTS selects).
TSAN_TESTS ?= ^(log|emitter/test_emitter/)
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) $(GEN) -DCMAKE_BUILD_TYPE=Debug -DCER_TSAN=ON
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --test-dir $(TSAN_BUILD) --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)' $(CTEST_ARGS)

$(FUZZ_BUILD)/build.ninja:
	CC=clang cmake -S . -B $(FUZZ_BUILD) $(GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCER_FUZZ=ON

fuzz-smoke: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_LONG_SECONDS)

bench: build
	scripts/bench.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@out=$$(clang-format --dry-run $$(git ls-files '*.c' '*.h') 2>&1); \
	if [ -n "$$out" ]; then echo "$$out" | head -40; \
	  echo "format-check: run 'make format'"; exit 1; fi; echo "format-check: ok"

kafka: deps
	scripts/kafka.sh start

kafka-stop:
	scripts/kafka.sh stop

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

# The relay on the embedded default: CloudEvents on 127.0.0.1:8080, OTLP on 127.0.0.1:4318,
# events in the local log under ./var/cerelay.
run: deps build
	@mkdir -p var/cerelay
	@echo
	@echo "cerelay is starting on the embedded default (local log in ./var/cerelay). Try:"
	@echo
	@echo "  curl -i -X POST http://127.0.0.1:8080/events \\"
	@echo "    -H 'Content-Type: application/cloudevents+json' \\"
	@echo "    --data-binary @examples/usage-event.json"
	@echo
	@echo "  $(BUILD)/cerelay tail --log var/cerelay --topic eventzr.llm.usage.v1 --format pretty"
	@echo
	$(BUILD)/cerelay run
