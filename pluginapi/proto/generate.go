// Package executorpb holds the protobuf messages and gRPC stubs of the
// canic-backup executor plugin protocol (executor.proto).
//
// The generated files are committed. Regenerate them with
// `go generate ./pluginapi/proto`, using protoc 3.21.12 (Debian bookworm's
// protobuf-compiler), protoc-gen-go v1.36.12 and protoc-gen-go-grpc v1.6.2:
//
//	apt-get install -y protobuf-compiler
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
package executorpb

// protoc 3.21.12, protoc-gen-go v1.36.12, protoc-gen-go-grpc v1.6.2
//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative executor.proto
