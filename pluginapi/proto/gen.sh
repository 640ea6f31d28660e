#!/bin/sh
# Regenerates executor.pb.go and executor_grpc.pb.go from executor.proto with
# pinned tools. Run via `go generate ./pluginapi/proto`; the versions come
# from the directive in generate.go:
#   sh gen.sh PROTOC_VERSION PROTOC_GEN_GO_VERSION PROTOC_GEN_GO_GRPC_VERSION
set -eu
PROTOC=$1
PROTOC_GEN_GO=$2
PROTOC_GEN_GO_GRPC=$3

command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }
have=$(protoc --version | awk '{print $2}')
[ "$have" = "$PROTOC" ] || echo "warning: protoc is $have, the committed code was generated with $PROTOC" >&2

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO"
GOBIN="$bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC"
PATH="$bin:$PATH" protoc \
	--go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	executor.proto
