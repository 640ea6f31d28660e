package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
)

// VerifyingReader wraps an object's body and hashes it while it is read.
// At end of stream it compares the digest with the expected one and returns
// a *DigestError instead of io.EOF on mismatch, so a reader that consumes
// the stream to the end cannot miss corruption.
type VerifyingReader struct {
	r    io.Reader
	key  string
	want string
	h    hash.Hash
	n    int64
	done bool
}

// NewVerifyingReader hashes r and checks the digest against want (hex) at
// EOF; with want empty it only hashes.
func NewVerifyingReader(r io.Reader, key, want string) *VerifyingReader {
	return &VerifyingReader{r: r, key: key, want: want, h: sha256.New()}
}

// Read reads and hashes; at EOF it returns a *DigestError on mismatch.
func (v *VerifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF && !v.done {
		v.done = true
		if v.want != "" && v.Sum() != v.want {
			return n, &DigestError{Key: v.key, Want: v.want, Got: v.Sum()}
		}
	}
	return n, err
}

// Sum returns the hex digest of the bytes read so far.
func (v *VerifyingReader) Sum() string { return hex.EncodeToString(v.h.Sum(nil)) }

// N returns the number of bytes read so far.
func (v *VerifyingReader) N() int64 { return v.n }

// Verify streams key from s to the end, checking the recorded SHA-256 and
// size, and returns the object's info with SHA256 set to the digest of the
// bytes read. An object with no recorded digest is hashed, not verified.
func Verify(ctx context.Context, s Store, key string) (ObjectInfo, error) {
	obj, err := s.Get(ctx, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer obj.Close()
	vr := NewVerifyingReader(obj.Body, key, obj.Info.SHA256)
	if _, err := io.Copy(io.Discard, vr); err != nil {
		return obj.Info, &OpError{Store: s.String(), Op: "verify", Key: key, Err: err}
	}
	if vr.N() != obj.Info.Size {
		return obj.Info, &OpError{Store: s.String(), Op: "verify", Key: key,
			Err: fmt.Errorf("%w: size %d, read %d bytes", ErrDigestMismatch, obj.Info.Size, vr.N())}
	}
	info := obj.Info
	info.SHA256 = vr.Sum()
	return info, nil
}
