# cerelay: the user's entry point. `make` builds into build/ (program: build/cerelay);
# `make test` installs what is missing, builds, and runs the whole suite, including an
# ASan+UBSan build and short fuzzer runs. Every target first installs the Debian packages it
# needs (scripts/deps.sh GROUP: a no-op when present), or stops with one line saying what to run.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
GEN        := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 10
FUZZ_LONG_SECONDS ?= 600
CTEST_ARGS ?=
PREFIX     ?= /usr/local
DESTDIR    ?=
DEB_BUILD  ?= build-deb

.PHONY: all build deps deps-build run test test-asan test-tsan fuzz fuzz-smoke bench bench-peers format \
        format-check kafka kafka-stop clean help install uninstall deb test-cluster

all: build

help:
	@echo "make run        install what is missing, build, start the relay on the local log"
	@echo "make            build everything into $(BUILD)/ (program: $(BUILD)/cerelay)"
	@echo "make test       install missing packages, build, run every test (+ASan, fuzz smoke)"
	@echo "make test-cluster  the three-broker tests (ctest label cluster) on scripts/kafka.sh cluster-start"
	@echo "make test-asan  the suite under AddressSanitizer+UndefinedBehaviorSanitizer"
	@echo "make test-tsan  the threaded libraries' tests (log, sink, emitter) under ThreadSanitizer"
	@echo "make fuzz       run every fuzzer for FUZZ_LONG_SECONDS (default 600) each"
	@echo "make bench      build and run the benchmarks"
	@echo "make bench-peers  OTLP ingest: cerelay vs the OpenTelemetry Collector (builds it into ~/.cache)"
	@echo "make kafka      start the local Apache Kafka 3.9.1 test broker"
	@echo "make format     clang-format the sources"
	@echo "make install    install into PREFIX (default /usr/local; DESTDIR=... for staging)"
	@echo "make uninstall  remove what the last make install installed"
	@echo "make deb        build the Debian package into $(DEB_BUILD)/ (cerelay_VERSION_ARCH.deb)"

deps:
	@scripts/deps.sh

deps-build:
	@scripts/deps.sh build

# GEN is evaluated again here: ninja may have been installed by deps-build a moment ago.
$(BUILD)/CMakeCache.txt: | deps-build
	cmake -S . -B $(BUILD) $$(command -v ninja >/dev/null 2>&1 && echo "-G Ninja") \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps-build $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Binary, static libraries, headers, pkg-config files, man pages, systemd unit, completions.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)
	@cp $(BUILD)/install_manifest.txt $(BUILD)/installed-files.txt

# Remove what the last `make install` installed (its list: $(BUILD)/installed-files.txt).
uninstall:
	@[ -f $(BUILD)/installed-files.txt ] || \
	  { echo "uninstall: no $(BUILD)/installed-files.txt: nothing was installed from $(BUILD)"; exit 1; }
	xargs -d '\n' rm -f -- <$(BUILD)/installed-files.txt
	@rm -f $(BUILD)/installed-files.txt

# A Debian package from its own build tree (prefix /usr): $(DEB_BUILD)/cerelay_*.deb.
deb: deps-build
	@scripts/deps.sh deb
	cmake -S . -B $(DEB_BUILD) $$(command -v ninja >/dev/null 2>&1 && echo "-G Ninja") \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF
	cmake --build $(DEB_BUILD) -j $(JOBS) --target cerelay_dist
	scripts/mkdeb.sh $(DEB_BUILD) $(DEB_BUILD)

test:
	JOBS=$(JOBS) FUZZ_SECONDS=$(FUZZ_SECONDS) CTEST_ARGS="$(CTEST_ARGS)" scripts/test.sh

# The tests labelled `cluster` (left out of `make test`): on a three-broker KRaft cluster that
# is started for them and stopped afterwards (unless it was already running).
test-cluster: build
	@scripts/deps.sh test
	@up=0; scripts/kafka.sh cluster-status >/dev/null 2>&1 && up=1; \
	scripts/kafka.sh cluster-start >/dev/null || exit 1; \
	eval "$$(scripts/kafka.sh cluster-env)"; \
	ctest --test-dir $(BUILD) --output-on-failure -L cluster $(CTEST_ARGS); rc=$$?; \
	[ $$up = 1 ] || scripts/kafka.sh cluster-stop; exit $$rc

test-asan: deps
	@[ -n "$$CER_KAFKA_BOOTSTRAP" ] || scripts/kafka.sh start
	cmake -S . -B $(ASAN_BUILD) $(GEN) -DCMAKE_BUILD_TYPE=Debug -DCER_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE cluster $(CTEST_ARGS)

# The emitter's threads (appender, forwarder, committer), the log's group commit and the sinks
# under ThreadSanitizer. librdkafka is not instrumented (its threads crash under TSan's
# runtime), so the tests that open a Kafka producer, even to an unreachable broker, are left to
# the other builds (TSAN_SKIP).
TSAN_TESTS ?= ^(log|emitter/test_emitter/)
TSAN_SKIP ?= queue_full|mock_cluster|drop_oldest|batch_boundary|memory_bounded|oversize|keeps_its_partition|backlog_survives
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) $(GEN) -DCMAKE_BUILD_TYPE=Debug -DCER_TSAN=ON
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --test-dir $(TSAN_BUILD) --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)' \
	  -E '$(TSAN_SKIP)' $(CTEST_ARGS)

$(FUZZ_BUILD)/build.ninja: | deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) $(GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCER_FUZZ=ON

fuzz-smoke: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_LONG_SECONDS)

bench: build
	@scripts/deps.sh bench
	scripts/bench.sh $(BUILD)

# cerelay next to the OpenTelemetry Collector on the same OTLP load into the local broker
# (docs/benchmarks.md). The Collector is built once with its builder from the Go module proxy
# into ~/.cache/cerelay/otelcol-VERSION; about 15 minutes with the defaults. Not part of `bench`.
bench-peers: build
	@scripts/deps.sh bench
	bench/peers/otelcol.sh $(BUILD)

format:
	@scripts/deps.sh format
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@scripts/deps.sh format
	@out=$$(clang-format --dry-run $$(git ls-files '*.c' '*.h') 2>&1); \
	if [ -n "$$out" ]; then echo "$$out" | head -40; \
	  echo "format-check: run 'make format'"; exit 1; fi; echo "format-check: ok"

kafka: deps
	scripts/kafka.sh start

kafka-stop: deps
	scripts/kafka.sh stop

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

# The relay on the embedded default: CloudEvents on 127.0.0.1:8080, OTLP on 127.0.0.1:4318,
# events in the local log under ./var/cerelay.
run: build
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
