// Package dfx is a canic-backup executor that drives the icp CLI (1.5.0) or
// the older dfx CLI as subprocesses.
//
// Every operation is one command line built by the flavor's argv function
// (argv.go), run in its own process group with a deadline and bounded output
// capture (run.go), and parsed from the CLI's machine-readable output where
// it offers one (icp --json) or from its documented text otherwise
// (parse_icp.go, parse_dfx.go). A failing command becomes a
// *pluginapi.Error whose code is classified from the CLI's stderr and whose
// message names the command line, the exit status and the first stderr
// lines.
//
// An identity PEM file named in Settings.IdentityPEM is imported into a
// private ICP_HOME that lives only as long as the Executor; the key never
// appears on a command line, in a log line or in an error.
package dfx
