// Package pluginapi is the contract between canic-backup and its executor
// plugins: the Executor interface, its types and error codes, the versioned
// gRPC service that carries them across a hashicorp/go-plugin process
// boundary, Serve for plugin authors, and NewClient for the host, which
// launches the plugin process, restarts it when it dies, and verifies an
// optional sha256 pin before every launch.
//
// A third-party plugin's main is one line:
//
//	func main() { pluginapi.Serve(myExecutor{}) }
//
// See docs/plugins.md and pluginapi/examples/localdir.
package pluginapi
