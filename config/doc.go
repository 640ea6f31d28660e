// Package config is canic-backup's configuration file, canic.toml: the
// environments a backup can run against and the executors that reach them.
//
//	version = 1
//	default_environment = "sim"
//
//	[environments.sim]
//	network  = "local"                          # network name in the plan
//	root     = "uxrrr-q7777-77774-qaaaq-cai"    # fleet root canister
//	executor = "sim-agent"                      # an [executors.NAME] table
//	fleet    = "demo"                           # names plans (default: the environment's name)
//	store    = "offsite"                        # optional: a [stores.NAME] table
//
//	[executors.sim-agent]
//	driver = "agent"                            # "dfx", "agent" or "plugin"
//	url    = "http://127.0.0.1:4943"            # ... the driver's own settings
//
//	[stores.offsite]                            # an artifact store (store.Settings)
//	kind     = "s3"                             # "dir" (path) or "s3"
//	endpoint = "https://s3.eu-central-1.amazonaws.com"
//	bucket   = "canic-backups"
//
// Load decodes a file strictly: an unknown key or a value of the wrong type
// is an error naming the file, the key and its line. The settings of the
// built-in drivers are decoded into the types the caller registers in
// Drivers, so this package does not import the drivers; the "plugin"
// driver's settings are PluginSettings. Store tables are validated with
// store.Settings.Validate (errors wrap the *store.SettingsError at the
// setting's line) and a "dir" store's relative path is resolved against the
// config file's directory.
//
// Which file and which environment are used follows the precedence
// flag > environment variable > file > default (FindFile, Config.Select).
package config
