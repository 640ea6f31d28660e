package wire_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/wire"
)

// TestVariant: an allowed spelling passes unchanged; anything else
// (including another case) is an *UnknownVariantError with serde's text for
// one, two and more variants.
func TestVariant(t *testing.T) {
	v, err := wire.Variant("Mode", "fixed", "fixed", "relocatable")
	require.NoError(t, err)
	assert.Equal(t, "fixed", v)

	for _, tc := range []struct {
		allowed []string
		want    string
	}{
		{nil, "unknown variant `Fixed`, there are no variants"},
		{[]string{"fixed"}, "unknown variant `Fixed`, expected `fixed`"},
		{[]string{"fixed", "relocatable"}, "unknown variant `Fixed`, expected `fixed` or `relocatable`"},
		{[]string{"a", "b", "c"}, "unknown variant `Fixed`, expected one of `a`, `b`, `c`"},
	} {
		v, err := wire.Variant("Mode", "Fixed", tc.allowed...)
		assert.Empty(t, v)
		assert.EqualError(t, err, tc.want)
		var uv *wire.UnknownVariantError
		require.True(t, errors.As(err, &uv))
		assert.Equal(t, "Mode", uv.Enum)
		assert.Equal(t, "Fixed", uv.Value)
	}
}

// TestVariantCopiesAllowed: the error keeps its own copy of the spellings.
func TestVariantCopiesAllowed(t *testing.T) {
	allowed := []string{"a", "b"}
	_, err := wire.Variant("E", "x", allowed...)
	allowed[0] = "changed"
	var uv *wire.UnknownVariantError
	require.True(t, errors.As(err, &uv))
	assert.Equal(t, []string{"a", "b"}, uv.Expected)
}

// TestVariantText: MarshalText's form gives the bytes or the same error.
func TestVariantText(t *testing.T) {
	b, err := wire.VariantText("Mode", "relocatable", "fixed", "relocatable")
	require.NoError(t, err)
	assert.Equal(t, []byte("relocatable"), b)
	b, err = wire.VariantText("Mode", "", "fixed", "relocatable")
	assert.Nil(t, b)
	assert.EqualError(t, err, "unknown variant ``, expected `fixed` or `relocatable`")
}
