package backup

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
)

// TestStoreVerifyFailed: prune in a store treats a backup found bad as
// unverified, but a store it could not read as an error (nothing deleted).
func TestStoreVerifyFailed(t *testing.T) {
	assert.True(t, storeVerifyFailed(&verify.VerificationError{Code: verify.CodeChecksum, Path: "s3://b/k"}))
	assert.True(t, storeVerifyFailed(fmt.Errorf("x: %w", &verify.VerificationError{Code: verify.CodeUnreadable, Err: store.ErrNotFound})))
	assert.False(t, storeVerifyFailed(&verify.VerificationError{Code: verify.CodeUnreadable, Err: errors.New("connection refused")}))
	assert.False(t, storeVerifyFailed(errors.New("connection refused")))
}
