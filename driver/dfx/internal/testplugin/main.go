// Command testplugin serves the dfx/icp executor as a canic-backup plugin
// for tests: it reads dfx.Settings as TOML from $CANIC_DFX_SETTINGS and
// calls pluginapi.Serve, as the canic-backup binary's built-in executor
// will.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/BurntSushi/toml"

	"github.com/canic-backup/canic-backup/driver/dfx"
	"github.com/canic-backup/canic-backup/pluginapi"
)

func main() {
	log := pluginapi.NewPluginLogger("dfx-testplugin")
	var s dfx.Settings
	if _, err := toml.Decode(os.Getenv("CANIC_DFX_SETTINGS"), &s); err != nil {
		fmt.Fprintf(os.Stderr, "CANIC_DFX_SETTINGS: %v\n", err)
		os.Exit(1)
	}
	e, err := dfx.New(context.Background(), s, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dfx executor: %v\n", err)
		os.Exit(1)
	}
	defer e.Close()
	pluginapi.ServeWith(e, pluginapi.ServeOptions{Logger: log})
}
