# calmline — the README's two commands are `make run` and `make test`.
SHELL   := /bin/bash
GO      ?= go
CONFIG  ?= config/calmline.yaml
BIN     := bin/calmline
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

# Debian packages calmline needs: cgo libraries (Opus, pocketsphinx, espeak-ng),
# offline voices and models, and the real peers the tests talk to.
DEB_PKGS := pkg-config gcc libc6-dev libopus-dev libopusfile-dev \
	espeak-ng libespeak-ng-dev pocketsphinx pocketsphinx-en-us libpocketsphinx-dev \
	praat aubio-tools sox sip-tester chromium

.PHONY: all deps build run test bench lint fuzz clean

all: build

deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "calmline needs these Debian/Ubuntu packages:$$missing"; \
		echo "This machine has no apt-get: install them with your package manager, then run make again."; exit 1; \
	fi; \
	SUDO=""; if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	echo "installing:$$missing"; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/calmline

run: build
	$(BIN) serve --config $(CONFIG)

test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

bench: build
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...
	$(BIN) bench

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin
