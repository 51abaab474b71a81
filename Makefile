# One task runner; CI runs `make test` (through .ci/run), exactly as a developer does.
CARGO ?= cargo
DEMO := examples/clusters/demo
RBACGRAPH := $(CARGO) run --quiet --bin rbacgraph --

.PHONY: demo test lint unit bench doc perf test-python test-wasm wasm-tools chromium explorer fuzz-build fuzz

# The main job on the bundled demo cluster: the audit (what to fix first), who can read
# secrets in the shop namespace, whether the CI deployer can create pods there (and why), and its path to the nodes.
demo:
	$(RBACGRAPH) -f $(DEMO) audit
	$(RBACGRAPH) -f $(DEMO) who-can get secrets -n shop
	-$(RBACGRAPH) -f $(DEMO) can-i create pods -n shop --as system:serviceaccount:ci:deployer --explain
	-$(RBACGRAPH) -f $(DEMO) paths --as system:serviceaccount:ci:deployer --to nodes

# Everything CI checks. Installs what it needs on a fresh machine (idempotent).
test: lint unit doc fuzz-build test-python test-wasm

lint:
	rustup component add rustfmt clippy >/dev/null 2>&1 || true
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace

bench:
	$(CARGO) bench --bench engine

# The Python bindings (bindings/python): a virtualenv in target/python-venv with
# the pinned test tools, made once per requirements file and Python version (the
# stamp file names both); the package itself is built by pip + maturin (dev profile,
# own target dir: maturin's build environment differs from cargo test's, and sharing
# target/debug would rebuild pyo3 on every switch) and reinstalled on every run. pytest
# covers the API, the CLI cross-checks and the example notebook; stubtest and
# mypy --strict check the types (from target/, where stubtest leaves its cache).
PYTHON ?= python3
PY_VENV := target/python-venv
PY := $(PY_VENV)/bin/python
PY_REQUIREMENTS := bindings/python/requirements-test.txt
PY_STAMP = $(PY_VENV)/.ready-$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')-$(shell cksum < $(PY_REQUIREMENTS) | cut -d' ' -f1)
PIP := PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CONSTRAINT=$(CURDIR)/$(PY_REQUIREMENTS) $(PY) -m pip

$(PY_VENV)/.ready-%:
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv $(PY_VENV)
	$(PIP) install --quiet -r $(PY_REQUIREMENTS)
	touch $@

test-python: $(PY_STAMP)
	$(CARGO) build --quiet --bin rbacgraph
	CARGO_TARGET_DIR=$(CURDIR)/target/python-build $(PIP) install --quiet --force-reinstall --no-deps --config-settings=build-args="--profile dev --strip" ./bindings/python
	RBACGRAPH_BIN=target/debug/rbacgraph $(PY) -m pytest -p no:cacheprovider bindings/python/tests
	cd target && python-venv/bin/python -m mypy.stubtest --mypy-config-file ../bindings/python/pyproject.toml rbacgraph
	cd target && MYPY_CACHE_DIR=mypy-cache python-venv/bin/python -m mypy --config-file ../bindings/python/pyproject.toml -p rbacgraph

# Whole-pipeline numbers on the xl synthetic cluster (10x the biggest published one):
# phase times and peak memory of one CLI run, as in the README's Performance section.
perf:
	$(CARGO) build --release --quiet --bin rbacgraph
	mkdir -p target/perf
	target/release/rbacgraph generate --preset xl --seed 1 -o json > target/perf/xl.json
	target/release/rbacgraph generate --preset big --seed 1 -o yaml > target/perf/big.yaml
	target/release/rbacgraph --timings -f target/perf/xl.json who-can create pods --subresource exec -n team-0003 > /dev/null
	target/release/rbacgraph --timings -f target/perf/big.yaml summary > /dev/null
	target/release/rbacgraph --timings -f target/perf/big.yaml paths --all > /dev/null
	target/release/rbacgraph --timings -f target/perf/xl.json audit > /dev/null
	target/release/rbacgraph --timings -f target/perf/xl.json audit -o json > /dev/null
	-target/release/rbacgraph --timings -f target/perf/xl.json check --policy benches/policies/xl.yaml > /dev/null

# The WebAssembly package and the browser explorer (bindings/wasm). Installs
# what it lacks, once: the wasm32 target, wasm-bindgen-cli at exactly the
# crate's wasm-bindgen version, the pinned npm packages (package-lock.json:
# binaryen's wasm-opt, cytoscape, typescript, playwright-core) and, for the
# browser tests, Debian's chromium. Then builds the module (+ wasm-opt, the
# explorer's assets) and runs the Node tests (every export against the CLI's
# JSON), tsc --noEmit on the generated declarations, and the end-to-end tests
# in headless Chromium (screenshots in target/explorer-*.png).
WASM_DIR := bindings/wasm
WASM_BINDGEN_VERSION := 0.2.130
CHROMIUM ?= /usr/bin/chromium

wasm-tools:
	rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	wasm-bindgen --version 2>/dev/null | grep -qx 'wasm-bindgen $(WASM_BINDGEN_VERSION)' || $(CARGO) install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	cd $(WASM_DIR) && { test node_modules/.package-lock.json -nt package-lock.json || npm ci --no-audit --no-fund; }

chromium:
	test -x $(CHROMIUM) || { apt-get update && apt-get install -y chromium; }

test-wasm: wasm-tools chromium
	$(CARGO) build --quiet --bin rbacgraph
	cd $(WASM_DIR) && node scripts/build.mjs
	cd $(WASM_DIR) && RBACGRAPH_BIN=$(CURDIR)/target/debug/rbacgraph node --test tests/node/
	cd $(WASM_DIR) && node_modules/.bin/tsc --noEmit -p tests/types
	cd $(WASM_DIR) && RBACGRAPH_BIN=$(CURDIR)/target/debug/rbacgraph CHROMIUM_PATH=$(CHROMIUM) node --test tests/browser/

# The explorer from a plain static server: http://127.0.0.1:8000/
explorer: wasm-tools
	cd $(WASM_DIR) && node scripts/build.mjs
	$(PYTHON) -m http.server --bind 127.0.0.1 --directory $(WASM_DIR)/explorer 8000

# The fuzz crate (fuzz/, cargo-fuzz, outside the workspace): CI builds every
# target on stable, uninstrumented (its own target dir, shared lockfile in
# fuzz/); `cargo test` replays fuzz/regressions/ (tests/fuzz_regressions.rs).
# `make fuzz FUZZ_TARGET=yaml_loader FUZZ_SECONDS=600` fuzzes one target on
# nightly (cargo-fuzz installed once), seeded from the regressions and fixtures.
FUZZ_TARGET ?= yaml_loader
FUZZ_SECONDS ?= 300

fuzz-build:
	$(CARGO) build --quiet --manifest-path fuzz/Cargo.toml --bins --target-dir target/fuzz

fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --version 0.13.1
	mkdir -p fuzz/corpus/$(FUZZ_TARGET)
	cp fuzz/regressions/$(FUZZ_TARGET)/* fuzz/corpus/$(FUZZ_TARGET)/
	cd fuzz && $(CARGO) +nightly fuzz run -O $(FUZZ_TARGET) corpus/$(FUZZ_TARGET) -- \
		-max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=65536
