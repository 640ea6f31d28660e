package transport

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/identity"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCallToAReplicaThatIsDownFailsFast: when the connection is refused
// the request never left, so Call fails at once with a transient error
// instead of polling the request status until PollTimeout (found by the
// e2e replica-outage test, where each agent call took PollTimeout per
// retry attempt: up to 5m x 8 with the defaults).
func TestCallToAReplicaThatIsDownFailsFast(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	id, err := identity.NewEd25519Identity(key.Public().(ed25519.PublicKey), key)
	require.NoError(t, err)
	c, err := New(Config{URL: &url.URL{Scheme: "http", Host: addr}, RootKey: []byte{1}, Identity: id,
		IngressExpiry: time.Minute, PollTimeout: time.Minute})
	require.NoError(t, err)

	began := time.Now()
	ecid := principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0, 0, 1, 1, 1}}
	_, err = c.Call(context.Background(), principal.Principal{}, ecid, "start_canister", []byte("DIDL\x00\x00"))
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrTransient), "%v", err)
	assert.Contains(t, err.Error(), "connection refused")
	assert.Less(t, time.Since(began), 5*time.Second, "no polling for a request that was never sent")
}
