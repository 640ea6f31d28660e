package journal

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/golden"
)

// Decoding is serde-strict: each malformed golden variant is refused.
func TestDecodeRejectsMalformedJournals(t *testing.T) {
	base := string(golden.Read(t, "backup/extra/initial.backup-execution-journal.json"))
	cases := map[string]string{
		"unknown state":     strings.Replace(base, `"state": "ready"`, `"state": "Ready"`, 1),
		"null required":     strings.Replace(base, `"plan_id": "plan-demo-20260512-140000"`, `"plan_id": null`, 1),
		"missing required":  strings.Replace(base, `"restart_required": false,`, ``, 1),
		"duplicate key":     strings.Replace(base, `"restart_required": false,`, `"restart_required": false, "restart_required": true,`, 1),
		"negative sequence": strings.Replace(base, `"sequence": 0,`, `"sequence": -1,`, 1),
		"null reasons":      strings.Replace(base, `"blocking_reasons": []`, `"blocking_reasons": null`, 1),
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, base, doc, "fixture edit applied")
			_, err := DecodeExecutionJournal([]byte(doc))
			assert.Error(t, err)
		})
	}
	// Missing Option fields and unknown fields are accepted.
	ok := strings.Replace(base, `"preflight_id": null,`, `"legacy": 1,`, 1)
	_, err := DecodeExecutionJournal([]byte(ok))
	require.NoError(t, err)

	dl := string(golden.Read(t, "backup/download-journal.json"))
	for name, doc := range map[string]string{
		"camel state":     strings.Replace(dl, `"state": "Durable"`, `"state": "durable"`, 1),
		"partial metrics": strings.Replace(dl, `"target_count": 3,`, ``, 1),
	} {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, dl, doc)
			_, err := DecodeDownloadJournal([]byte(doc))
			assert.Error(t, err)
		})
	}
}
