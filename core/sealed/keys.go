package sealed

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"filippo.io/age"
)

// DedupKeySize is the length of a dedup key in bytes.
const DedupKeySize = 32

// ErrNoIdentity is matched by the error of an operation that needs to read
// content (restore, content verify, gc) on a host without an identity.
var ErrNoIdentity = errors.New("no identity configured")

// ErrWrongKey is matched when a configured key does not open the store.
var ErrWrongKey = errors.New("key does not open the store")

// ErrKeyFile is matched by errors reading a key file.
var ErrKeyFile = errors.New("cannot use key file")

// KeySettings say where a sealed store's keys come from (the sealed fields
// of a `[stores.NAME]` table). Key material is never logged: errors name
// the file, never its content.
type KeySettings struct {
	// Recipients are age X25519 public keys ("age1...").
	Recipients []string
	// RecipientsFile holds more recipients, one a line (# comments).
	RecipientsFile string
	// IdentityFile holds age identities ("AGE-SECRET-KEY-1..."); without
	// it the host can only write.
	IdentityFile string
	// DedupKeyFile holds the dedup key as 64 hex digits. A host with an
	// identity may leave it empty (the key is read from the store's
	// sealed config).
	DedupKeyFile string
}

// Keys are the loaded keys of a sealed store.
type Keys struct {
	// Recipients encrypt packs and documents.
	Recipients []age.Recipient
	// Identities decrypt them (none on a write-only host).
	Identities []age.Identity
	// DedupKey names chunks and seals indexes and snapshots (nil: read it
	// from the store with an identity).
	DedupKey []byte
}

// LoadKeys reads the keys of the store called store.
func LoadKeys(store string, ks KeySettings) (*Keys, error) {
	k := &Keys{}
	for _, r := range ks.Recipients {
		rs, err := age.ParseRecipients(strings.NewReader(r))
		if err != nil {
			return nil, fmt.Errorf("stores.%s.recipients = %q: %w", store, r, err)
		}
		k.Recipients = append(k.Recipients, rs...)
	}
	if ks.RecipientsFile != "" {
		data, err := readKeyFile(store, "recipients_file", ks.RecipientsFile)
		if err != nil {
			return nil, err
		}
		rs, err := age.ParseRecipients(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%w: stores.%s.recipients_file = %q: not an age recipients file", ErrKeyFile, store, ks.RecipientsFile)
		}
		k.Recipients = append(k.Recipients, rs...)
	}
	if ks.IdentityFile != "" {
		data, err := readKeyFile(store, "identity_file", ks.IdentityFile)
		if err != nil {
			return nil, err
		}
		ids, err := age.ParseIdentities(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%w: stores.%s.identity_file = %q: not an age identity file", ErrKeyFile, store, ks.IdentityFile)
		}
		k.Identities = ids
		// An identity host can also write: its own X25519 identities are
		// recipients when none are configured.
		if len(k.Recipients) == 0 {
			for _, id := range ids {
				if x, ok := id.(*age.X25519Identity); ok {
					k.Recipients = append(k.Recipients, x.Recipient())
				}
			}
		}
	}
	if ks.DedupKeyFile != "" {
		data, err := readKeyFile(store, "dedup_key_file", ks.DedupKeyFile)
		if err != nil {
			return nil, err
		}
		key, err := hex.DecodeString(strings.TrimSpace(string(data)))
		if err != nil || len(key) != DedupKeySize {
			return nil, fmt.Errorf("%w: stores.%s.dedup_key_file = %q: not a dedup key (64 hex digits)", ErrKeyFile, store, ks.DedupKeyFile)
		}
		k.DedupKey = key
	}
	if len(k.Recipients) == 0 {
		return nil, fmt.Errorf("%w: stores.%s: a sealed store needs recipients, recipients_file or identity_file", ErrKeyFile, store)
	}
	return k, nil
}

func readKeyFile(store, field, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: stores.%s.%s = %q: %w", ErrKeyFile, store, field, path, errors.Unwrap(err))
	}
	return data, nil
}

// NewDedupKey returns a random dedup key.
func NewDedupKey() ([]byte, error) {
	k := make([]byte, DedupKeySize)
	_, err := rand.Read(k)
	return k, err
}

// WriteDedupKeyFile writes key as hex to path (0600), refusing to replace
// an existing file.
func WriteDedupKeyFile(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("dedup key file %s: %w", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("dedup key file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
