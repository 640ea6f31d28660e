# canic-backup developer targets. `make test` is the command CI runs.
#
# The real icp CLI (npm package @icp-sdk/icp-cli-linux-x64) is installed into
# .cache/ so the end-to-end tests drive the binary users run.

ICP_VERSION ?= 1.5.0
CACHE       := $(CURDIR)/.cache
ICP_BIN     := $(CACHE)/npm/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp
# DFINITY's JavaScript agent, which sim's TestJSAgentVouchesForTheSimulator
# runs (node sim/jsagent/check.mjs) against the simulator.
JSAGENT_VERSION ?= 6.1.0
JSAGENT_DIR     := $(CACHE)/jsagent/node_modules/@icp-sdk/core
GO          ?= go
GOTESTFLAGS ?= -race -count=1 -timeout 30m

export DO_NOT_TRACK := 1
export CANIC_ICP_BIN := $(ICP_BIN)
export CANIC_JSAGENT_DIR := $(JSAGENT_DIR)

.PHONY: test icp jsagent vet fmt-check build demo weed fuzz-smoke crash-smoke crash-matrix release cross

## test: install the icp CLI and the JavaScript agent into .cache, build the
## SeaweedFS server the S3 store tests run (cached in the user cache dir),
## vet (for Linux, macOS and Windows), run the crash harness's sample and
## every fuzz target briefly, check the release builds (cross), then every
## other test with -race (crashtest runs once, in crash-smoke).
test: icp jsagent weed vet fmt-check cross crash-smoke fuzz-smoke
	$(GO) test $(GOTESTFLAGS) $$($(GO) list ./... | grep -v '/crashtest$$')

## fuzz-smoke: run every fuzz target (func Fuzz* in a tracked _test.go)
## for FUZZTIME each, with one worker (2-core CI). A run whose only failure
## is Go's spurious "context deadline exceeded" at the time limit (no
## failing input written) is run once more.
FUZZTIME ?= 10s
FUZZ = $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s -parallel 1 ./$$(dirname $$f) >$(CACHE)/fuzz.log 2>&1
fuzz-smoke:
	@mkdir -p $(CACHE); set -e; for f in $$(git ls-files '*_test.go' | xargs grep -l '^func Fuzz'); do \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz ./$$(dirname $$f) $$t ($(FUZZTIME))"; \
	    if ! $(FUZZ); then \
	      if grep -q 'context deadline exceeded' $(CACHE)/fuzz.log && ! grep -q 'Failing input' $(CACHE)/fuzz.log; then \
	        echo "  (spurious deadline error at the time limit; once more)"; $(FUZZ) || { cat $(CACHE)/fuzz.log; exit 1; }; \
	      else cat $(CACHE)/fuzz.log; exit 1; fi; \
	    fi; \
	  done; \
	done

## crash-smoke: the crash harness (crashtest/) at a sample of its kill
## points with both built-in executors, plus its lock, idempotence and
## faulty-subnet tests; prints the harness's summary line.
CRASHTEST := $(CACHE)/crashtest.test
crash-smoke: icp
	mkdir -p $(CACHE)
	$(GO) test -c -o $(CRASHTEST) ./crashtest
	cd crashtest && $(CRASHTEST) -test.parallel 2 -test.timeout 20m

## crash-matrix: the whole crash matrix (every kill point, both executors).
crash-matrix: icp
	mkdir -p $(CACHE)
	$(GO) test -c -o $(CRASHTEST) ./crashtest
	cd crashtest && CANIC_CRASH_MATRIX=1 $(CRASHTEST) -test.run '^TestCrash$$' -test.parallel 2 -test.timeout 60m

## icp: fetch the pinned icp CLI from npm into .cache (once).
icp: $(ICP_BIN)

$(ICP_BIN):
	mkdir -p $(CACHE)/npm
	npm install --no-audit --no-fund --prefix $(CACHE)/npm @icp-sdk/icp-cli-linux-x64@$(ICP_VERSION)
	$(ICP_BIN) --version

## jsagent: fetch the pinned @icp-sdk/core from npm into .cache (once).
jsagent: $(JSAGENT_DIR)/package.json

$(JSAGENT_DIR)/package.json:
	mkdir -p $(CACHE)/jsagent
	npm install --no-audit --no-fund --save-exact --prefix $(CACHE)/jsagent @icp-sdk/core@$(JSAGENT_VERSION)
	node -e 'const v=require("$(JSAGENT_DIR)/package.json").version; if (v !== "$(JSAGENT_VERSION)") { console.error("@icp-sdk/core " + v + " installed, want $(JSAGENT_VERSION)"); process.exit(1) }'

vet:
	$(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	GOOS=windows $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

build:
	$(GO) build -o canic-backup ./cmd/canic-backup

## release: the release archives for linux, darwin and windows on amd64 and
## arm64 (static, CGO_ENABLED=0) with a CycloneDX SBOM each and SHA256SUMS,
## into dist/. Reproducible: the same commit gives the same bytes (see
## internal/tools/release). RELEASE_VERSION defaults to `git describe`.
DIST    ?= dist
RELEASE_VERSION ?=
release:
	$(GO) run ./internal/tools/release -out $(DIST) $(if $(RELEASE_VERSION),-version $(RELEASE_VERSION))

## cross: what CI proves about the release: the six targets build with
## CGO_ENABLED=0 (the archives, once, with the shared build cache); the
## linux/amd64 binary is static (`file`), prints the stamped version and
## runs the demo; and linux/amd64 built a second time from an empty GOCACHE
## (nothing reused from the first build) gives an archive and SBOM with the
## same sha256. Only one target is built twice, to keep CI time down.
CROSS := $(CACHE)/cross
cross:
	rm -rf $(CROSS); mkdir -p $(CROSS)
	$(GO) run ./internal/tools/release -out $(CROSS)/a
	cd $(CROSS)/a && sha256sum -c SHA256SUMS
	tar -C $(CROSS) -xzf $(CROSS)/a/canic-backup_*_linux_amd64.tar.gz
	bin=$$(ls $(CROSS)/canic-backup_*_linux_amd64/canic-backup) && \
	  file $$bin && file $$bin | grep -q 'statically linked' && \
	  v=$$($$bin version) && echo "$$v" && \
	  echo "$$v" | grep -qF "canic-backup $$(git describe --tags --always --dirty) (commit $$(git rev-parse HEAD)," && \
	  $$bin demo --dir $(CROSS)/demo --keep=false
	$(GO) run ./internal/tools/release -out $(CROSS)/b -targets linux/amd64 -gocache $(CROSS)/gocache
	grep '_linux_amd64\.' $(CROSS)/a/SHA256SUMS | diff - $(CROSS)/b/SHA256SUMS
	@echo "cross: 6 targets built; linux/amd64 static, ran the demo, and rebuilt from an empty cache with identical sha256"
	chmod -R u+w $(CROSS)/gocache; rm -rf $(CROSS)/gocache

## demo: back up, verify and restore a simulated fleet end to end.
demo:
	$(GO) run ./cmd/canic-backup demo

## weed: build the SeaweedFS server (weed server -s3) that the S3 store
## tests run, once, into the user cache dir (see internal/seaweed; version
## pinned there).
weed:
	$(GO) run ./internal/seaweed/buildweed
