package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/canic-backup/canic-backup/core/wire"
)

// Call is one line of calls.jsonl: a call the plugin received and how it
// ended ("ok", an error code, or "canceled" when the caller's context ended
// and the plugin observed it).
type Call struct {
	Method  string `json:"method"`
	Args    string `json:"args"`
	Outcome string `json:"outcome"`
	PID     int    `json:"pid"`
}

// CallLog is the path of the call log under root.
func CallLog(root string) string { return filepath.Join(root, "calls.jsonl") }

// ReadCalls reads the call log under root.
func ReadCalls(root string) ([]Call, error) {
	b, err := os.ReadFile(CallLog(root))
	if errors.Is(err, os.ErrNotExist) {
		return []Call{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := []Call{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var c Call
		if err := wire.Unmarshal([]byte(line), &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// record returns a function, to be deferred, that appends the call and its
// outcome to the call log.
func (s *Store) record(ctx context.Context, method string, args any) func(*error) {
	if s.opts.CrashOn == method {
		os.Exit(3)
	}
	return func(errp *error) {
		var err error
		if errp != nil {
			err = *errp
		}
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		a, _ := wire.Marshal(args)
		line, merr := wire.Marshal(Call{Method: method, Args: string(a), Outcome: errString(err), PID: os.Getpid()})
		if merr != nil {
			return
		}
		s.logMu.Lock()
		defer s.logMu.Unlock()
		f, ferr := os.OpenFile(CallLog(s.root), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if ferr != nil {
			return
		}
		_, _ = f.Write(append(line, '\n'))
		_ = f.Sync()
		_ = f.Close()
	}
}
