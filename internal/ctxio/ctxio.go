// Package ctxio makes a blocking byte stream honour a context.
package ctxio

import (
	"context"
	"io"
)

// Reader reads from R until Ctx ends: each Read first checks Ctx and
// returns its error once it is done, so a copy loop over a slow or endless
// source stops at the next read after a cancellation.
type Reader struct {
	Ctx context.Context
	R   io.Reader
}

// NewReader returns a Reader of r bound to ctx.
func NewReader(ctx context.Context, r io.Reader) Reader { return Reader{Ctx: ctx, R: r} }

// Read returns ctx's error once it is done, else reads from R.
func (c Reader) Read(p []byte) (int, error) {
	if err := c.Ctx.Err(); err != nil {
		return 0, err
	}
	return c.R.Read(p)
}
