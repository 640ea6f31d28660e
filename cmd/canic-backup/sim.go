package main

import "github.com/urfave/cli/v2"

// simCommand is `canic-backup sim`: the local IC replica simulator.
func simCommand() *cli.Command {
	return &cli.Command{
		Name:  "sim",
		Usage: "run a local IC replica simulator",
	}
}
