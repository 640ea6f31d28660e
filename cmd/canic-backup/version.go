package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// Build identity, set by the linker:
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=abc1234" ./cmd/canic-backup
//
// Empty values fall back to the module version and the vcs.revision the
// Go toolchain stamps into the binary.
var (
	version string
	commit  string
)

// buildInfo is what `--version` prints.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Modified  bool   `json:"modified"`
	GoVersion string `json:"go_version"`
}

// currentBuild reads the build identity: linker overrides first, then the
// binary's embedded build info.
func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, GoVersion: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && info.Main.Version != "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
		if info.GoVersion != "" {
			b.GoVersion = info.GoVersion
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// String renders "canic-backup <version> (commit <rev>[+dirty], <go>)".
func (b buildInfo) String() string {
	rev := b.Commit
	if b.Modified {
		rev += "+dirty"
	}
	return fmt.Sprintf("canic-backup %s (commit %s, %s)", b.Version, rev, b.GoVersion)
}

// versionFlag is the global --version (-V).
func versionFlag() cli.Flag {
	return &cli.BoolFlag{Name: "version", Aliases: []string{"V"}, Usage: "print the version, commit and Go version"}
}

// versionCommand is `version`.
func versionCommand(e env) *cli.Command {
	return &cli.Command{
		Name:         "version",
		Usage:        "print the version, commit and Go version",
		UsageText:    "canic-backup version [--json]",
		Description:  "Example:\n   canic-backup version --json",
		Flags:        []cli.Flag{jsonFlag()},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if err := leafArgs(c); err != nil {
				return err
			}
			return printVersion(c, e)
		},
	}
}

func printVersion(c *cli.Context, e env) error {
	b := currentBuild()
	if c.Bool("json") {
		return writeJSON(e.stdout, b)
	}
	_, err := fmt.Fprintln(e.stdout, b.String())
	return err
}

// rootAction is the app's action: --version prints the version, anything
// else is familyAction (a command is required).
func rootAction(e env) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.Bool("version") {
			_, err := fmt.Fprintln(e.stdout, currentBuild().String())
			return err
		}
		return familyAction(c)
	}
}
