package sealed

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"filippo.io/age"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/restic/chunker"
)

// Object keys and prefixes of a sealed repository.
const (
	// MarkerKey is the plaintext object that marks a sealed repository:
	// format, version, chunking parameters and a check value of the dedup
	// key (an HMAC, revealing nothing of the key).
	MarkerKey = "sealed.json"
	// ConfigKey is the age-sealed config: repository id and dedup key.
	ConfigKey = "config"
	// PackPrefix holds the packs, named by the SHA-256 of their bytes.
	PackPrefix = "data/"
	// IndexPrefix holds one index object per pack (same name).
	IndexPrefix = "index/"
	// SnapshotPrefix holds one snapshot per backup, named by an HMAC of
	// the backup's name.
	SnapshotPrefix = "snapshots/"
	// GCStateKey records gc's marks between passes.
	GCStateKey = "gc/state"
	// FormatName is the marker's format value.
	FormatName = "canic-sealed"
)

// Options tune a repository's writing.
type Options struct {
	// PackSize is the size at which a pack is closed (0: 16 MiB).
	PackSize int
}

func (o Options) packSize() int {
	if o.PackSize <= 0 {
		return 16 << 20
	}
	return o.PackSize
}

// Chunking are the content-defined chunking parameters, fixed at init.
type Chunking struct {
	MinSize uint `json:"min_size"`
	MaxSize uint `json:"max_size"`
	AvgBits int  `json:"avg_bits"`
}

// DefaultChunking cuts chunks of about 24 KiB on average (8 KiB to 512 KiB): a
// change to one 64 KiB Wasm page then costs that page and about one
// chunk around it.
var DefaultChunking = Chunking{MinSize: 8 << 10, MaxSize: 512 << 10, AvgBits: 14}

type marker struct {
	Format     string   `json:"format"`
	Version    int      `json:"version"`
	Chunking   Chunking `json:"chunking"`
	DedupCheck string   `json:"dedup_check"`
}

type config struct {
	ID       string `json:"id"`
	DedupKey string `json:"dedup_key"`
}

// ID is a chunk id: HMAC-SHA256 of the chunk under the dedup key.
type ID [32]byte

// String is the id in hex.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText encodes the id as hex.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText decodes a hex id.
func (id *ID) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(id) {
		return fmt.Errorf("chunk id %q: not 64 hex digits", b)
	}
	_, err := hex.Decode(id[:], b)
	return err
}

// Loc is where a chunk is stored.
type Loc struct {
	Pack string `json:"-"`
	ID   ID     `json:"id"`
	Off  int64  `json:"off"`
	Len  int64  `json:"len"`
	Raw  int64  `json:"raw"`
}

type indexDoc struct {
	Pack  string `json:"pack"`
	Blobs []Loc  `json:"blobs"`
}

// Repo is an open sealed repository.
type Repo struct {
	s        store.Store
	name     string
	keys     *Keys
	dedup    []byte
	aead     cipher.AEAD
	pol      chunker.Pol
	chunking Chunking
	opts     Options

	mu    sync.Mutex
	index map[ID]Loc
	packs map[string][]Loc
}

// InitOptions tune Init.
type InitOptions struct {
	// Chunking, when zero, is DefaultChunking.
	Chunking Chunking
}

// Init makes the empty store s a sealed repository for keys (a dedup key is
// generated when keys.DedupKey is nil) and returns the dedup key. It
// refuses a store that holds any object.
func Init(ctx context.Context, s store.Store, name string, keys *Keys, opts InitOptions) ([]byte, error) {
	objs, err := s.List(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", name, err)
	}
	if len(objs) > 0 {
		return nil, fmt.Errorf("store %s (%s) is not empty (%d objects, e.g. %s): a sealed repository is initialised in an empty store", name, s, len(objs), objs[0].Key)
	}
	dedup := keys.DedupKey
	if dedup == nil {
		if dedup, err = NewDedupKey(); err != nil {
			return nil, err
		}
	}
	idb := make([]byte, 16)
	if _, err := rand.Read(idb); err != nil {
		return nil, err
	}
	ch := opts.Chunking
	if ch == (Chunking{}) {
		ch = DefaultChunking
	}
	cfg, _ := json.Marshal(config{ID: hex.EncodeToString(idb), DedupKey: hex.EncodeToString(dedup)})
	sealedCfg, err := ageSeal(keys.Recipients, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := s.Put(ctx, ConfigKey, bytes.NewReader(sealedCfg), store.PutOptions{IfAbsent: true}); err != nil {
		return nil, fmt.Errorf("store %s: write config: %w", name, err)
	}
	m, _ := json.Marshal(marker{Format: FormatName, Version: 1, Chunking: ch, DedupCheck: hex.EncodeToString(mac(dedup, "check"))})
	if _, err := s.Put(ctx, MarkerKey, bytes.NewReader(m), store.PutOptions{IfAbsent: true}); err != nil {
		return nil, fmt.Errorf("store %s: write %s: %w", name, MarkerKey, err)
	}
	return dedup, nil
}

// ErrNotSealed is matched when a store holds no sealed repository.
var ErrNotSealed = errors.New("not a sealed repository")

// IsSealed reports whether s holds a sealed repository.
func IsSealed(ctx context.Context, s store.Store) (bool, error) {
	_, err := s.Stat(ctx, MarkerKey)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Open opens the sealed repository in s (called name in messages).
func Open(ctx context.Context, s store.Store, name string, keys *Keys, opts Options) (*Repo, error) {
	mb, err := readAll(ctx, s, MarkerKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("store %s (%s): %w (no %s; run `canic-backup store init --store %s` on an empty store)", name, s, ErrNotSealed, MarkerKey, name)
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", name, err)
	}
	var m marker
	if err := json.Unmarshal(mb, &m); err != nil || m.Format != FormatName {
		return nil, fmt.Errorf("store %s: %s: %w", name, MarkerKey, ErrNotSealed)
	}
	if m.Version != 1 {
		return nil, fmt.Errorf("store %s: sealed format version %d is not supported (1)", name, m.Version)
	}
	dedup := keys.DedupKey
	if dedup == nil {
		if len(keys.Identities) == 0 {
			return nil, fmt.Errorf("store %s: %w: set dedup_key_file (to write) or identity_file (to read)", name, ErrNoIdentity)
		}
		cb, err := readAll(ctx, s, ConfigKey)
		if err != nil {
			return nil, fmt.Errorf("store %s: %s: %w", name, ConfigKey, err)
		}
		plain, err := ageOpen(keys.Identities, cb)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w: identity_file does not decrypt the store's config: %w", name, ErrWrongKey, err)
		}
		var c config
		if err := json.Unmarshal(plain, &c); err != nil {
			return nil, fmt.Errorf("store %s: config: %w", name, err)
		}
		if dedup, err = hex.DecodeString(c.DedupKey); err != nil {
			return nil, fmt.Errorf("store %s: config: %w", name, err)
		}
	}
	if hex.EncodeToString(mac(dedup, "check")) != m.DedupCheck {
		return nil, fmt.Errorf("store %s: %w: the dedup key (dedup_key_file) is not this repository's", name, ErrWrongKey)
	}
	r := &Repo{s: s, name: name, keys: keys, dedup: dedup, chunking: m.Chunking, opts: opts}
	block, _ := aes.NewCipher(mac(dedup, "seal"))
	r.aead, _ = cipher.NewGCM(block)
	if r.pol, err = chunker.DerivePolynomial(&prf{key: mac(dedup, "polynomial")}); err != nil {
		return nil, err
	}
	return r, nil
}

// Name is the store's name in the config.
func (r *Repo) Name() string { return r.name }

// Store is the underlying store.
func (r *Repo) Store() store.Store { return r.s }

// CanRead reports whether the repository was opened with an identity.
func (r *Repo) CanRead() bool { return len(r.keys.Identities) > 0 }

func (r *Repo) needIdentity(what string) error {
	if !r.CanRead() {
		return fmt.Errorf("store %s: %s needs the store's age identity: %w (set stores.%s.identity_file; this host holds only recipients)", r.name, what, ErrNoIdentity, r.name)
	}
	return nil
}

// chunkID names data.
func (r *Repo) chunkID(data []byte) ID {
	h := hmac.New(sha256.New, r.dedup)
	h.Write(data)
	var id ID
	h.Sum(id[:0])
	return id
}

func mac(key []byte, label string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("canic-sealed/" + label))
	return h.Sum(nil)
}

// prf is an HMAC-SHA256 counter-mode stream: the deterministic source of
// the chunker polynomial.
type prf struct {
	key []byte
	n   uint64
	buf []byte
}

func (p *prf) Read(b []byte) (int, error) {
	for len(p.buf) < len(b) {
		h := hmac.New(sha256.New, p.key)
		binary.Write(h, binary.BigEndian, p.n)
		p.n++
		p.buf = h.Sum(p.buf)
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	return n, nil
}

// seal encrypts small repository metadata under the dedup-derived key.
func (r *Repo) seal(plain []byte) []byte {
	nonce := make([]byte, r.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return r.aead.Seal(nonce, nonce, plain, nil)
}

func (r *Repo) unseal(key string, b []byte) ([]byte, error) {
	n := r.aead.NonceSize()
	if len(b) < n {
		return nil, fmt.Errorf("store %s: %s: truncated", r.name, key)
	}
	p, err := r.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("store %s: %s: authentication failed (tampered, or another repository's dedup key)", r.name, key)
	}
	return p, nil
}

func ageSeal(rs []age.Recipient, plain []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func ageOpen(ids []age.Identity, b []byte) ([]byte, error) {
	rd, err := age.Decrypt(bytes.NewReader(b), ids...)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(rd)
}

func readAll(ctx context.Context, s store.Store, key string) ([]byte, error) {
	o, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

// loadIndex reads every index object not loaded yet.
func (r *Repo) loadIndex(ctx context.Context) error {
	objs, err := r.s.List(ctx, IndexPrefix)
	if err != nil {
		return fmt.Errorf("store %s: %w", r.name, err)
	}
	r.mu.Lock()
	if r.index == nil {
		r.index = map[ID]Loc{}
		r.packs = map[string][]Loc{}
	}
	r.mu.Unlock()
	for _, o := range objs {
		pack := strings.TrimPrefix(o.Key, IndexPrefix)
		r.mu.Lock()
		_, have := r.packs[pack]
		r.mu.Unlock()
		if have {
			continue
		}
		b, err := readAll(ctx, r.s, o.Key)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store %s: %w", r.name, err)
		}
		p, err := r.unseal(o.Key, b)
		if err != nil {
			return err
		}
		var d indexDoc
		if err := json.Unmarshal(p, &d); err != nil || d.Pack != pack {
			return fmt.Errorf("store %s: %s: malformed index", r.name, o.Key)
		}
		r.addIndex(d)
	}
	return nil
}

func (r *Repo) addIndex(d indexDoc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range d.Blobs {
		d.Blobs[i].Pack = d.Pack
		if _, ok := r.index[d.Blobs[i].ID]; !ok {
			r.index[d.Blobs[i].ID] = d.Blobs[i]
		}
	}
	r.packs[d.Pack] = d.Blobs
}

func (r *Repo) lookup(id ID) (Loc, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.index[id]
	return l, ok
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
