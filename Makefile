# One task runner; CI runs `make test` (through .ci/run), exactly as a developer does.
CARGO ?= cargo
DEMO := examples/clusters/demo
RBACGRAPH := $(CARGO) run --quiet --bin rbacgraph --

.PHONY: demo test lint unit bench doc

# The main job on the bundled demo cluster: what was loaded, who can read
# secrets in the shop namespace, and whether the CI deployer can create pods there (and why).
demo:
	$(RBACGRAPH) -f $(DEMO) summary
	$(RBACGRAPH) -f $(DEMO) who-can get secrets -n shop
	-$(RBACGRAPH) -f $(DEMO) can-i create pods -n shop --as system:serviceaccount:ci:deployer --explain

# Everything CI checks. Installs what it needs on a fresh machine (idempotent).
test: lint unit doc

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
