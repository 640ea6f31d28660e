package progress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/core/wire"
)

// jsonLine is the wire shape of one --json-lines object. Fields that do not
// apply to the type are left out.
type jsonLine struct {
	Type                Type     `json:"type"`
	Time                string   `json:"time,omitempty"`
	RunID               string   `json:"run_id,omitempty"`
	Targets             []string `json:"targets,omitempty"`
	Sequence            *uint64  `json:"sequence,omitempty"`
	OperationID         string   `json:"operation_id,omitempty"`
	Phase               string   `json:"phase,omitempty"`
	Target              string   `json:"target,omitempty"`
	Outcome             string   `json:"outcome,omitempty"`
	BytesDone           *uint64  `json:"bytes_done,omitempty"`
	BytesTotal          *uint64  `json:"bytes_total,omitempty"`
	CompletedOperations *int     `json:"completed_operations,omitempty"`
	TotalOperations     *int     `json:"total_operations,omitempty"`
	Error               string   `json:"error,omitempty"`
	Result              any      `json:"result,omitempty"`
}

// JSONLines writes each event as one JSON object on its own line.
type JSONLines struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

// NewJSONLines returns a renderer streaming to w.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{w: w} }

// Event implements Renderer.
func (j *JSONLines) Event(e Event) {
	l := jsonLine{
		Type: e.Type, RunID: e.RunID, Targets: e.Targets, OperationID: e.OperationID,
		Phase: e.Phase, Target: e.Target, Outcome: e.Outcome,
		CompletedOperations: &e.CompletedOperations, TotalOperations: &e.TotalOperations,
	}
	if !e.Time.IsZero() {
		l.Time = e.Time.UTC().Format(time.RFC3339)
	}
	switch e.Type {
	case OperationStarted, OperationFinished, DownloadProgress:
		l.Sequence = &e.Sequence
	}
	if e.Type == DownloadProgress {
		l.BytesDone, l.BytesTotal = &e.BytesDone, &e.BytesTotal
	}
	if e.Err != nil {
		l.Error = e.Err.Error()
	}
	j.write(l)
}

// Result implements Renderer: the last line, {"type":"result","result":v},
// v encoded by core/wire exactly as --json prints it (compacted).
func (j *JSONLines) Result(v any) error {
	pretty, err := wire.MarshalPretty(v)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, pretty); err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	j.write(jsonLine{Type: Result, Result: json.RawMessage(compact.Bytes())})
	return j.Close()
}

// Close implements Renderer; it returns the first write error.
func (j *JSONLines) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

func (j *JSONLines) write(l jsonLine) {
	b, err := json.Marshal(l)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return
	}
	if err != nil {
		j.err = fmt.Errorf("encode %s event: %w", l.Type, err)
		return
	}
	if _, err := j.w.Write(append(b, '\n')); err != nil {
		j.err = fmt.Errorf("write %s event: %w", l.Type, err)
	}
}
