package usecase

import (
	"time"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/store"
)

// Event is a progress report of a use case, for the caller to render.
type Event interface{ event() }

// Fetched reports the objects a fetch wrote (or found intact) in the
// local backup directory.
type Fetched struct {
	// Store is where they came from.
	Store store.Store
	// Report counts the objects and bytes, and how many were downloaded.
	Report archive.FetchReport
	// Took is the time spent fetching.
	Took time.Duration
}

// Checked reports artifacts checked in a store by streaming them.
type Checked struct {
	// Store is where they were checked.
	Store store.Store
	// Artifacts, Objects and Bytes count what was streamed.
	Artifacts, Objects int
	Bytes              int64
	// Took is the time spent.
	Took time.Duration
}

// RemoveFailed reports an artifact fetched for its upload that could not
// be removed from Dir afterwards (the upload itself succeeded).
type RemoveFailed struct {
	Dir string
	Err error
}

func (Fetched) event()      {}
func (Checked) event()      {}
func (RemoveFailed) event() {}

// Progress receives events; nil discards them.
type Progress func(Event)

func (p Progress) emit(ev Event) {
	if p != nil {
		p(ev)
	}
}
