package transport

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/fxamacker/cbor/v2"
)

// FetchRootKey reads root_key from GET /api/v2/status (trust on first use;
// only for local networks).
func FetchRootKey(ctx context.Context, hc *http.Client, u *url.URL) ([]byte, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.JoinPath("/api/v2/status").String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, transient(err, "GET /api/v2/status")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, transient(err, "GET /api/v2/status")
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &HTTPError{Endpoint: "/api/v2/status", Status: resp.StatusCode, Body: snippet(body)}
	}
	var st struct {
		RootKey []byte `cbor:"root_key"`
	}
	if err := cbor.Unmarshal(body, &st); err != nil {
		return nil, fmt.Errorf("decode /api/v2/status: %w", err)
	}
	if len(st.RootKey) == 0 {
		return nil, fmt.Errorf("/api/v2/status of %s has no root_key", u)
	}
	return st.RootKey, nil
}
