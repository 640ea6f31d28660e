package journal

import (
	"fmt"

	"github.com/canic-backup/canic-backup/core/wire"
)

// DecodeExecutionJournal parses backup-execution-journal.json with serde's
// strictness and validates it.
func DecodeExecutionJournal(data []byte) (*BackupExecutionJournal, error) {
	var j BackupExecutionJournal
	if err := wire.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("decode backup execution journal: %w", err)
	}
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return &j, nil
}

// Encode validates the journal and renders it as 0.35.1 wrote it (pretty
// JSON, no trailing newline).
func (j *BackupExecutionJournal) Encode() ([]byte, error) {
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return wire.MarshalPretty(j)
}

// DecodeDownloadJournal parses download-journal.json with serde's strictness
// and validates it.
func DecodeDownloadJournal(data []byte) (*DownloadJournal, error) {
	var j DownloadJournal
	if err := wire.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("decode download journal: %w", err)
	}
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return &j, nil
}

// Encode validates the journal and renders it as 0.35.1 wrote it.
func (j *DownloadJournal) Encode() ([]byte, error) {
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return wire.MarshalPretty(j)
}
