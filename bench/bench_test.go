package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// icpBinary returns the icp binary the benchmark would use, or "" when
// none is installed.
func icpBinary() string {
	for _, p := range []string{os.Getenv("CANIC_ICP_BIN"), "/tmp/icpnpm/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("icp"); err == nil {
		return p
	}
	return ""
}

// TestBenchmarkRunsAtATinySize runs the whole benchmark once on a tiny
// fleet (2 canisters of 1 MiB, 10 ms per update call), so it cannot rot:
// every contender finishes, the canic-backup backups verify, downtime and
// memory are measured, ratios are computed against the icp loop, and the
// checksum comparison runs. Without an icp binary only the agent
// contender runs (the icp loop and the dfx executor need icp).
func TestBenchmarkRunsAtATinySize(t *testing.T) {
	contenders := "agent"
	icp := icpBinary()
	if icp != "" {
		contenders = "icp-loop,dfx,agent"
	} else {
		t.Log("no icp binary: running the agent contender only")
	}
	var out bytes.Buffer
	err := mainErr([]string{"--children", "2", "--size", "1MiB", "--latency", "10ms", "--query-latency", "2ms",
		"--concurrency", "4", "--checksum-size", "4MiB", "--icp", icp, "--contenders", contenders, "--json"}, &out)
	require.NoError(t, err, out.String())
	var rep report
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	assert.Equal(t, 2, rep.Canisters)
	require.NotEmpty(t, rep.Results)
	for _, r := range rep.Results {
		assert.Positive(t, r.WallSeconds, r.Name)
		assert.Positive(t, r.DowntimeSeconds, r.Name)
		assert.Less(t, r.DowntimeSeconds, r.WallSeconds, r.Name)
		assert.Positive(t, r.PeakRSSMiB, r.Name)
		if r.Name != contenderICPLoop {
			assert.True(t, r.Verified, "%s's backup verifies", r.Name)
		}
	}
	if icp != "" {
		require.Len(t, rep.Results, 3)
		require.Len(t, rep.Ratios, 2)
		for _, q := range rep.Ratios {
			assert.Positive(t, q.Wall)
			assert.Positive(t, q.Downtime)
		}
	}
	require.NotNil(t, rep.Checksum)
	assert.Positive(t, rep.Checksum.Ratio)
}

// TestScriptDowntimeParsesTheLoopOutput: the window is read from the two
// timestamps icp-loop.sh prints; missing ones are an error.
func TestScriptDowntimeParsesTheLoopOutput(t *testing.T) {
	d, err := scriptDowntime([]byte("first_stop_at=100.25\nlast_start_at=112.75\n"))
	require.NoError(t, err)
	assert.InDelta(t, 12.5, d, 1e-9)
	_, err = scriptDowntime([]byte("first_stop_at=1\n"))
	assert.ErrorContains(t, err, "last_start_at")
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"32MiB": 32 << 20, "1GiB": 1 << 30, "512KiB": 512 << 10, "1000": 1000} {
		got, err := parseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := parseSize("lots")
	assert.ErrorContains(t, err, `"lots"`)
}

// TestNetworkBoundFollowsTheIssueFormula: on the default bench fleet (7
// children of 32 MiB, one level, 500 ms) the downtime bound is three update
// latencies and the wall bound adds ceil(119 chunks / 56 in flight) = 3
// latencies plus hashing.
func TestNetworkBoundFollowsTheIssueFormula(t *testing.T) {
	b := networkBound(options{Children: 7, Depth: 1, Size: 32 << 20, Latency: 500 * time.Millisecond})
	assert.InDelta(t, 1.5, b.DowntimeSeconds, 1e-9)
	assert.Equal(t, 7*17, b.Chunks)
	assert.Equal(t, 56, b.InFlight)
	require.Positive(t, b.HashMiBps)
	assert.InDelta(t, 3.0+224/b.HashMiBps, b.WallSeconds, 1e-9)
}

func TestParseScale(t *testing.T) {
	got, err := parseScale("100, 300,1000")
	require.NoError(t, err)
	assert.Equal(t, []int{100, 300, 1000}, got)
	_, err = parseScale("100,many")
	assert.ErrorContains(t, err, `"many"`)
	_, err = parseScale(",")
	assert.Error(t, err)
}

// TestStraceCallsReadsTheSummary: the calls column of strace -c, with and
// without an errors column, summed over the names asked for.
func TestStraceCallsReadsTheSummary(t *testing.T) {
	out := `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 98.00    0.100000         100      1000           fsync
  2.00    0.002000          10        20         1 fdatasync
  0.00    0.000000           0         7           write
------ ----------- ----------- --------- --------- ----------------
100.00    0.102000          99      1027         1 total
`
	assert.Equal(t, 1020, straceCalls(strings.NewReader(out), "fsync", "fdatasync"))
}
