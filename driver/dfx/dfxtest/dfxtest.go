// Package dfxtest helps tests drive the real icp CLI against the in-process
// simulator through the dfx/icp executor; the integration tests of
// canic-backup reuse it.
package dfxtest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/canic-backup/canic-backup/driver/dfx"
	"github.com/canic-backup/canic-backup/sim"
)

// ICPBinary finds the icp CLI 1.5.0: $CANIC_ICP_BIN (set by `make test`),
// the repository's .cache (`make icp`), or the machine's npm copy. It fails
// the test when none exists.
func ICPBinary(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..", "..")
	candidates := []string{
		os.Getenv("CANIC_ICP_BIN"),
		filepath.Join(repo, ".cache", "npm", "node_modules", "@icp-sdk", "icp-cli-linux-x64", "bin", "icp"),
		"/tmp/icpnpm/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp",
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c
		}
	}
	t.Fatalf("icp CLI not found: run `make icp` or set CANIC_ICP_BIN (looked in %q)", candidates)
	return ""
}

// Settings returns icp-flavor settings that reach s by URL with its pinned
// root key and act as s's controller (its PEM imported into a private
// ICP_HOME).
func Settings(t testing.TB, s *sim.Simulator) dfx.Settings {
	t.Helper()
	return dfx.Settings{
		Flavor: dfx.FlavorICP, Binary: ICPBinary(t), Network: s.URL(), RootKey: s.RootKeyHex(),
		IdentityPEM: s.ControllerPEMPath(), Concurrency: 4, CommandTimeout: time.Minute, TransferTimeout: 2 * time.Minute,
	}
}

// New builds an executor from settings and closes it when the test ends.
func New(t testing.TB, settings dfx.Settings, opts ...dfx.Option) *dfx.Executor {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := dfx.New(ctx, settings, hclog.NewNullLogger(), opts...)
	if err != nil {
		t.Fatalf("dfxtest: new executor: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("dfxtest: close executor: %v", err)
		}
	})
	return e
}

// StrangerPEM writes a fresh Ed25519 identity that controls nothing and
// returns its path.
func StrangerPEM(t testing.TB) string {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("dfxtest: key: %v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("dfxtest: key: %v", err)
	}
	path := filepath.Join(t.TempDir(), "stranger.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatalf("dfxtest: write pem: %v", err)
	}
	return path
}
