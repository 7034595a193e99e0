# Thin wrapper over CMake: `make run` and `make test` work on a fresh Debian machine.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
# `make fuzz`: seconds each libFuzzer harness runs (one after another)
FUZZ_SECONDS ?= 60
DATA       ?= ./var
JOBS       ?= $(shell nproc)

.PHONY: all deps build build-asan build-fuzz fuzz run demo test test-fast bench install deb clean

all: build

deps:
	@sh tools/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSOAR_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# The libFuzzer harnesses (tests/fuzz/): clang, ASan + UBSan, a build of their own.
build-fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSOAR_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Each harness for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=600); corpora grow in
# $(FUZZ_BUILD)/tests/fuzz/work-NAME/, crashes are saved there. FUZZ=NAME runs one.
fuzz: build-fuzz
	@sh tools/fuzz/run_all.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ)

# The main job: the daemon on the embedded default data directory, with the
# bundled playbooks in mock mode (no vendor credentials needed). Ctrl-C stops it.
LISTEN ?= 127.0.0.1:8080
run: build
	@# init, not mkdir: a folder without a store (or the key and first admin) is not a data directory
	@[ -f $(DATA)/store.mdb ] || ./$(BUILD)/soarctl init --data $(DATA)
	@echo "soarctl serve on http://$(LISTEN) (data: $(DATA)); an API token: ./$(BUILD)/soarctl user token --data $(DATA)"
	./$(BUILD)/soarctl serve --data $(DATA) --listen $(LISTEN) --playbooks playbooks --mock

# The demo playbook, once, in the foreground.
demo: build
	./$(BUILD)/soarctl run --data $(DATA) playbooks/hello.lua --input name=newcomer

# The whole suite: a normal build, then the same suite under ASan + UBSan.
# Then each fuzz harness briefly (SOAR_FUZZ_TEST_SECONDS, 15 s) in the clang build.
test: build build-asan build-fuzz
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE nosan
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j $(JOBS) -L fuzz

test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: build
	@sh tools/bench/run_all.sh $(BUILD)

# Installs the build into PREFIX (default /usr/local): the binary, the Lua library,
# the bundled integrations and playbooks in PREFIX/share/soarctl, man pages,
# completions, a systemd unit and PREFIX/etc/soarctl (docs/install.md).
# DESTDIR=/tmp/stage make install stages it instead.
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# The Debian package, built from the normal build: $(BUILD)/soarctl_*.deb
# (install it with `apt install ./build/soarctl_*.deb`).
deb: build
	cd $(BUILD) && cpack -G DEB
	@ls $(BUILD)/soarctl_*.deb

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
