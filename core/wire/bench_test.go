package wire_test

import (
	"testing"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
)

func BenchmarkRoundTripExecutionJournal(b *testing.B) {
	data := golden.Read(b, "backup/backup-execution-journal.json")
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		var n wire.Node
		if err := wire.Unmarshal(data, &n); err != nil {
			b.Fatal(err)
		}
		if _, err := wire.MarshalPretty(&n); err != nil {
			b.Fatal(err)
		}
	}
}
