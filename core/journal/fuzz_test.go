package journal

import (
	"testing"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// FuzzDecodeExecutionJournal: decoding plus validation never panics, and
// whatever DecodeExecutionJournal accepts validates, encodes, and decodes
// back to an equal encoding.
func FuzzDecodeExecutionJournal(f *testing.F) {
	for _, rel := range executionGoldens {
		f.Add(golden.Read(f, rel))
	}
	f.Add([]byte(`{"journal_version":1,"plan_id":"p","run_id":"r","preflight_accepted":true,"restart_required":false,"operations":[],"operation_receipts":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw BackupExecutionJournal
		if wire.Unmarshal(data, &raw) == nil {
			_ = raw.Validate()
			_ = raw.ResumeSummary()
			_ = raw.NextReadyOperation()
		}
		j, err := DecodeExecutionJournal(data)
		if err != nil {
			return
		}
		if err := j.Validate(); err != nil {
			t.Fatalf("accepted journal fails validation: %v", err)
		}
		out, err := j.Encode()
		if err != nil {
			t.Fatalf("accepted journal does not encode: %v", err)
		}
		back, err := DecodeExecutionJournal(out)
		if err != nil {
			t.Fatalf("encoded journal does not decode: %v", err)
		}
		again, err := back.Encode()
		if err != nil || string(again) != string(out) {
			t.Fatalf("encoding is not stable: %v", err)
		}
	})
}

// FuzzDecodeDownloadJournal is the same property for download journals.
func FuzzDecodeDownloadJournal(f *testing.F) {
	for _, rel := range downloadGoldens {
		f.Add(golden.Read(f, rel))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw DownloadJournal
		if wire.Unmarshal(data, &raw) == nil {
			_ = raw.Validate()
			_ = raw.ResumeReport()
		}
		j, err := DecodeDownloadJournal(data)
		if err != nil {
			return
		}
		if err := j.Validate(); err != nil {
			t.Fatalf("accepted journal fails validation: %v", err)
		}
		out, err := j.Encode()
		if err != nil {
			t.Fatalf("accepted journal does not encode: %v", err)
		}
		back, err := DecodeDownloadJournal(out)
		if err != nil {
			t.Fatalf("encoded journal does not decode: %v", err)
		}
		again, err := back.Encode()
		if err != nil || string(again) != string(out) {
			t.Fatalf("encoding is not stable: %v", err)
		}
	})
}
