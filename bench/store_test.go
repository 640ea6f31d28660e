package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoreContendersAtATinySize runs the store comparison once on a tiny
// fleet (2 canisters of 1 MiB): the agent backs up into a dir store and
// into a bucket of a real SeaweedFS server; both backups verify from their
// store, the data and rates are measured and the ratio computed.
func TestStoreContendersAtATinySize(t *testing.T) {
	var out bytes.Buffer
	err := mainErr([]string{"--children", "2", "--size", "1MiB", "--latency", "10ms", "--query-latency", "2ms",
		"--concurrency", "4", "--checksum-size", "0", "--part-size-mib", "5", "--contenders", "store", "--json"}, &out)
	require.NoError(t, err, out.String())
	var rep report
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Len(t, rep.Results, 2)
	for i, name := range []string{contenderStoreDir, contenderStoreS3} {
		r := rep.Results[i]
		assert.Equal(t, name, r.Name)
		assert.True(t, r.Verified, "%s's backup verifies from its store", name)
		assert.Greater(t, r.DataMiB, 2.0, "%s: two 1 MiB canisters' artifacts", name)
		assert.Positive(t, r.MiBps, name)
		assert.Positive(t, r.DowntimeSeconds, name)
	}
	assert.Positive(t, rep.Results[1].PublishMiBps, "the s3 contender's published line")
	require.NotNil(t, rep.Store)
	assert.Positive(t, rep.Store.Wall)
	assert.Positive(t, rep.Store.Throughput)
}

func TestExpandContenders(t *testing.T) {
	assert.Equal(t, []string{"agent", contenderStoreDir, contenderStoreS3}, expandContenders([]string{"agent", "store"}))
}
