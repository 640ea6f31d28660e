// Package executorpb holds the protobuf messages and gRPC stubs of the
// canic-backup executor plugin protocol (executor.proto).
//
// The generated files are committed. Regenerate them with
// `go generate ./pluginapi/proto`, which runs gen.sh: it needs protoc 3.21.12
// (`apt-get install -y protobuf-compiler` on Debian bookworm) and installs
// protoc-gen-go v1.36.12 and protoc-gen-go-grpc v1.6.2 into a temporary
// directory.
package executorpb

// Tool versions: protoc 3.21.12, protoc-gen-go v1.36.12, protoc-gen-go-grpc v1.6.2.
//go:generate sh gen.sh 3.21.12 v1.36.12 v1.6.2
