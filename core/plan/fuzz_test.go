package plan

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// FuzzPlanDecodeValidate: decoding and validating any input never panics,
// and a plan that validates re-encodes to a document that decodes and
// validates again.
func FuzzPlanDecodeValidate(f *testing.F) {
	for _, rel := range planGoldens {
		f.Add(golden.Read(f, rel))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p BackupPlan
		if wire.Unmarshal(data, &p) != nil {
			return
		}
		if p.Validate() != nil {
			_ = p.ValidateForExecution()
			return
		}
		out, err := wire.MarshalPretty(&p)
		require.NoError(t, err)
		var back BackupPlan
		require.NoError(t, wire.Unmarshal(out, &back))
		require.NoError(t, back.Validate())
	})
}
