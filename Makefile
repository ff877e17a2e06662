# webotp: `make run` builds everything and starts the dev verifier with the
# demo on http://localhost:8080; `make test` runs every check CI runs.
# Both install the Debian packages they need when missing (apt-get); Go tools
# (staticcheck) are pinned in go.mod with the tool directive and run with
# `go tool`, so a new machine gets exactly that version.

SHELL   := /bin/bash
GO      ?= go
GOROOT  := $(shell $(GO) env GOROOT)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
ADDR    ?= 127.0.0.1:8080
WASM_EXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec

# Debian packages, by the command they provide: what the build needs (the
# client's precompressed assets), what the tests add (browser tests, Redis
# tests, the wasm tests under Node, npm for the input-otp browser test) and
# what the benchmarks add.
BUILD_TOOLS := brotli:brotli gzip:gzip
TEST_TOOLS  := chromium:chromium redis-server:redis-server node:nodejs npm:npm
BENCH_TOOLS := wrk:wrk taskset:util-linux

# install-missing installs, through apt-get, the packages of $(1) whose command is missing.
define install-missing
	@missing=""; for t in $(1); do cmd=$${t%%:*}; pkg=$${t##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null \
	    || { echo "apt-get could not install:$$missing" >&2; exit 1; }; \
	fi
endef

.PHONY: all run test build client server lint bench soak clean build-deps test-deps bench-deps

all: build

## build: bin/webotp with the client assets (web/dist) embedded.
build: client server

client: build-deps
	bash build/client.sh

server:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/webotp ./verifier/cmd/webotp

## run: build everything, start the dev verifier and demo on http://localhost:8080.
run: build
	./bin/webotp serve --dev --addr $(ADDR)

## test: lint, the client's size budgets, unit tests with -race, wasm tests under Node, browser and Redis tests.
test: test-deps build lint
	bash build/budgets.sh
	$(GO) test -race -count=1 ./...
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./otpmsg/... ./wasm/...
	bash build/fuzz.sh

## lint: gofmt, a tidy module, go vet and staticcheck (native and js/wasm).
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go'; git ls-files -o --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... ./otpmsg/...
	$(GO) tool staticcheck ./...
	@# go tool would build staticcheck for GOOS=js: build it for this machine, then run it on the wasm packages.
	GOOS=js GOARCH=wasm $$($(GO) tool -n staticcheck) ./wasm/... ./otpmsg/...

## bench: the performance table (build/out/bench.md).
bench: bench-deps test-deps build
	bash build/bench.sh

## soak: minutes of load while verifications expire; memory must stay flat (not in CI).
soak: bench-deps build
	bash build/soak.sh

clean:
	rm -rf bin build/out
	find web/dist -mindepth 1 ! -name .gitkeep -delete

## build-deps, test-deps, bench-deps: install the missing Debian packages of each.
build-deps:
	$(call install-missing,$(BUILD_TOOLS))

test-deps: build-deps
	$(call install-missing,$(TEST_TOOLS))
	@$(GO) version >/dev/null
	@node -e 'process.exit(0)' || { echo "node does not run: the wasm tests need it" >&2; exit 1; }

bench-deps:
	$(call install-missing,$(BENCH_TOOLS))
