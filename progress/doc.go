// Package progress turns the events of a backup or restore run into what a
// person or a script sees while it runs: a live view on a terminal (one
// line per canister with its phase and download bytes, and a fleet total),
// one log line per finished operation off a terminal, or a stream of JSON
// objects, one a line, each with a "type" (restic-style scripting output).
//
// Runs report Events to a Renderer. Backup runs plug in with
// Renderer.Backup (a runner.Observer); restore runs, or anything else,
// call Renderer.Event directly. New picks the renderer for the output.
package progress
