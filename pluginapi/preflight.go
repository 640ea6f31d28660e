package pluginapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// PreflightWidth bounds the status reads of one preflight in flight (each
// is an update call, seconds on a busy subnet).
const PreflightWidth = 8

// StatusFunc reads one target's status (an Executor's CanisterStatus).
type StatusFunc func(ctx context.Context, t Target) (CanisterStatus, error)

// PreflightByStatus is the one implementation of Preflight: it reads every
// requested target's status with status, up to PreflightWidth at once,
// and reports them in request order with the controller evidence for
// identity and req.Root. A target that cannot be read carries its error as
// the CanisterStatus RPC would send it (its *Error, or CodeInternal with
// the error's text); a cancelled ctx fails the whole call. Both built-in
// drivers serve their Preflight with it, and the host uses it itself for a
// plugin that does not advertise CapabilityPreflight.
func PreflightByStatus(ctx context.Context, req PreflightRequest, identity string, status StatusFunc) (PreflightReport, error) {
	rep := PreflightReport{Identity: identity, Targets: make([]PreflightTarget, len(req.CanisterIDs))}
	sem := make(chan struct{}, PreflightWidth)
	var wg sync.WaitGroup
	for i, id := range req.CanisterIDs {
		rep.Targets[i] = PreflightTarget{CanisterID: id}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			pt := &rep.Targets[i]
			st, err := status(ctx, Target{Network: req.Network, CanisterID: id})
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) {
					pe = &Error{Code: CodeOf(err), Message: err.Error()}
				}
				pt.Err = pe
				return
			}
			pt.Status, pt.Controllers, pt.ModuleHash, pt.Detail = st.Status, st.Controllers, st.ModuleHash, &st
			for _, c := range st.Controllers {
				pt.IdentityIsController = pt.IdentityIsController || (identity != "" && c == identity)
				pt.RootIsController = pt.RootIsController || (req.Root != "" && strings.EqualFold(c, req.Root))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("preflight: %w", err)
	}
	return rep, nil
}
