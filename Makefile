# webotp: `make run` builds everything and starts the dev verifier with the
# demo on http://localhost:8080; `make test` runs every check CI runs.
# Both install what they need (Debian packages, staticcheck) when missing.

SHELL   := /bin/bash
GO      ?= go
GOROOT  := $(shell $(GO) env GOROOT)
GOBIN   := $(shell $(GO) env GOPATH)/bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
ADDR    ?= 127.0.0.1:8080
WASM_EXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec

# Debian packages the tests and the build use, by the command they provide.
APT_TOOLS := chromium:chromium redis-server:redis-server brotli:brotli wrk:wrk node:nodejs

.PHONY: all run test build client server lint bench soak clean deps

all: build

## build: bin/webotp with the client assets (web/dist) embedded.
build: client server

client: deps
	bash build/client.sh

server:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/webotp ./verifier/cmd/webotp

## run: build everything, start the dev verifier and demo on http://localhost:8080.
run: build
	./bin/webotp serve --dev --addr $(ADDR)

## test: lint, unit tests with -race, wasm tests under Node, browser and Redis tests.
test: deps build lint
	$(GO) test -race -count=1 ./...
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./otpmsg/... ./wasm/...
	bash build/fuzz.sh

lint: deps
	@out=$$(gofmt -l $$(git ls-files '*.go'; git ls-files -o --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... ./otpmsg/...
	$(GOBIN)/staticcheck ./...
	GOOS=js GOARCH=wasm $(GOBIN)/staticcheck ./wasm/...

## bench: the performance table (build/out/bench.md).
bench: build
	bash build/bench.sh

## soak: minutes of load while verifications expire; memory must stay flat (not in CI).
soak: build
	bash build/soak.sh

clean:
	rm -rf bin build/out
	find web/dist -mindepth 1 ! -name .gitkeep -delete

## deps: install missing tools. Debian packages through apt-get, staticcheck through the module proxy.
deps:
	@missing=""; for t in $(APT_TOOLS); do cmd=$${t%%:*}; pkg=$${t##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@2026.2.2
