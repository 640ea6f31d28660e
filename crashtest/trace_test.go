package crashtest

import (
	"bufio"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// point is one kill point: the nth pass of a process of one role through a
// named step ("main/layout.before-rename" 7).
type point struct {
	name string
	n    int
}

func (p point) String() string { return p.name + ":" + strconv.Itoa(p.n) }

// readTrace lists the distinct kill points a traced run passed, in the
// order they were first passed.
func readTrace(t *testing.T, path string) []point {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err, "the traced run passed no kill point")
	defer f.Close()
	seen := map[point]bool{}
	var out []point
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		require.Len(t, fields, 3, "trace line %q", sc.Text())
		n, err := strconv.Atoi(fields[2])
		require.NoError(t, err, "trace line %q", sc.Text())
		p := point{name: fields[1], n: n}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

// chunkDependent are the steps whose number of passes follows the chunk
// count of a transfer or the agent's resume-record checkpoints: their last
// passes are the ones a run reaches only if it repeats the traced run's
// count exactly (3 of them went unreached in a full matrix while the
// checkpoints were time-based). The smoke samples their last pass too.
var chunkDependent = map[string]bool{
	"plugin/layout.before-rename": true,
	"plugin/layout.after-rename":  true,
	"plugin/agent.download-chunk": true,
	"plugin/agent.upload-chunk":   true,
}

// sample picks the smoke subset: for every named step, its first pass and
// the one in the middle of its passes, and for a chunkDependent step its
// last pass.
func sample(points []point) []point {
	last := map[string]int{}
	for _, p := range points {
		last[p.name] = max(last[p.name], p.n)
	}
	var out []point
	for _, p := range points {
		if p.n == 1 || p.n == (last[p.name]+1)/2 || (chunkDependent[p.name] && p.n == last[p.name]) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// full reports whether the whole matrix was asked for (make crash-matrix).
func full() bool { return os.Getenv("CANIC_CRASH_MATRIX") == "1" }
