// Package stores opens a configured artifact store by kind: the glue
// between the `[stores.NAME]` tables of canic.toml (store.Settings) and the
// backends core/store/dirstore and core/store/s3store.
package stores

import (
	"context"
	"fmt"
	"sort"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/dirstore"
	"github.com/canic-backup/canic-backup/core/store/s3store"
)

// Config is the `[stores]` table: store name to settings.
type Config map[string]store.Settings

// Validate checks every store, in name order, and returns the first
// *store.SettingsError.
func (c Config) Validate() error {
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := c[n].Validate(n); err != nil {
			return err
		}
	}
	return nil
}

// Open validates the settings of the store called name and opens its
// backend. S3 credentials come from the environment or the AWS credentials
// file (see store.Settings).
func Open(ctx context.Context, name string, s store.Settings) (store.Store, error) {
	if err := s.Validate(name); err != nil {
		return nil, err
	}
	switch s.Kind {
	case store.KindDir:
		return dirstore.Open(s.Path)
	case store.KindS3:
		return s3store.Open(ctx, name, s, s3store.Options{})
	}
	return nil, fmt.Errorf("%w: store %s: kind %q", store.ErrInvalidSettings, name, s.Kind)
}

// OpenNamed opens the store called name from c, naming the known stores
// when it is missing.
func (c Config) OpenNamed(ctx context.Context, name string) (store.Store, error) {
	s, ok := c[name]
	if !ok {
		names := make([]string, 0, len(c))
		for n := range c {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("%w: no store %q in [stores] (configured: %v)", store.ErrInvalidSettings, name, names)
	}
	return Open(ctx, name, s)
}
