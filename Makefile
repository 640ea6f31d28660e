# canic-backup developer targets. `make test` is the command CI runs.
#
# The real icp CLI (npm package @icp-sdk/icp-cli-linux-x64) is installed into
# .cache/ so the end-to-end tests drive the binary users run.

ICP_VERSION ?= 1.5.0
CACHE       := $(CURDIR)/.cache
ICP_BIN     := $(CACHE)/npm/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp
GO          ?= go
GOTESTFLAGS ?= -race -count=1 -timeout 30m

export DO_NOT_TRACK := 1
export CANIC_ICP_BIN := $(ICP_BIN)

.PHONY: test icp vet fmt-check build demo weed

## test: install the icp CLI into .cache, build the SeaweedFS server the S3
## store tests run (cached in the user cache dir), vet, and run every test
## with -race.
test: icp weed vet fmt-check
	$(GO) test $(GOTESTFLAGS) ./...

## icp: fetch the pinned icp CLI from npm into .cache (once).
icp: $(ICP_BIN)

$(ICP_BIN):
	mkdir -p $(CACHE)/npm
	npm install --no-audit --no-fund --prefix $(CACHE)/npm @icp-sdk/icp-cli-linux-x64@$(ICP_VERSION)
	$(ICP_BIN) --version

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

build:
	$(GO) build -o canic-backup ./cmd/canic-backup

## demo: back up, verify and restore a simulated fleet end to end.
demo:
	$(GO) run ./cmd/canic-backup demo

## weed: build the SeaweedFS server (weed server -s3) that the S3 store
## tests run, once, into the user cache dir (see internal/seaweed; version
## pinned there).
weed:
	$(GO) run ./internal/seaweed/buildweed
