package timestamp_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/timestamp"
)

func TestMarker(t *testing.T) {
	assert.Equal(t, "unix:1778594400", timestamp.Marker(time.Unix(1778594400, 999)))
	assert.Equal(t, "unix:0", timestamp.Marker(time.Unix(0, 0)))
	assert.Equal(t, "unix:0", timestamp.Marker(time.Unix(-5, 0)), "before the epoch")
	assert.Equal(t, "unix:1778594400", timestamp.Now(timestamp.FixedUnix(1778594400)))
}

func TestParseMarker(t *testing.T) {
	good := map[string]uint64{
		"unix:0":                    0,
		"unix:1778594400":           1778594400,
		"unix:+5":                   5,
		"unix:007":                  7,
		"unix:18446744073709551615": 18446744073709551615,
	}
	for in, want := range good {
		got, err := timestamp.ParseMarker(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	bad := []string{"", "unix:", "unix:+", "unix:-1", "unix: 1", "unix:1 ", "UNIX:1", "1778594400",
		"unix:18446744073709551616", "unix:1.5", "unix:++1", "unix:0x10", " unix:1", "2026-05-12T14:00:00Z"}
	for _, in := range bad {
		_, err := timestamp.ParseMarker(in)
		require.ErrorIs(t, err, timestamp.ErrInvalidMarker, in)
		assert.Contains(t, err.Error(), in)
	}
	tm, err := timestamp.ParseMarkerTime("unix:1715090400")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2024, 5, 7, 14, 0, 0, 0, time.UTC), tm)
	_, err = timestamp.ParseMarkerTime("unix:18446744073709551615")
	require.ErrorIs(t, err, timestamp.ErrInvalidMarker)
}

func TestDirectoryStampAndListFormat(t *testing.T) {
	assert.Equal(t, "19700101-000000", timestamp.DirectoryStamp(time.Unix(0, 0)))
	assert.Equal(t, "20240507-140000", timestamp.DirectoryStamp(time.Unix(1715090400, 0)))
	assert.Equal(t, "20260512-140000", timestamp.DirectoryStamp(time.Unix(1778594400, 0)))
	assert.Equal(t, "19700101-000000", timestamp.DirectoryStamp(time.Unix(-100, 0)))
	loc := time.FixedZone("X", 5*3600)
	assert.Equal(t, "20240507-140000", timestamp.DirectoryStamp(time.Unix(1715090400, 0).In(loc)), "always UTC")
	assert.Equal(t, "07/05/2024 14:00", timestamp.ListFormat(time.Unix(1715090400, 0)))
	assert.Equal(t, "01/01/1970 00:00", timestamp.ListFormat(time.Unix(0, 0)))
}

func TestClocks(t *testing.T) {
	var c timestamp.Clock = timestamp.FixedUnix(42)
	assert.Equal(t, int64(42), c.Now().Unix())
	before := time.Now()
	now := timestamp.System{}.Now()
	assert.False(t, now.Before(before))
}
