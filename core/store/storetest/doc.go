// Package storetest is the contract suite every core/store backend passes:
// round trips, digests, atomic publication, conditional create and
// compare-and-swap (also under concurrency), listing, deletion, key
// validation and the lease lock. A backend's test calls Run with a factory
// that returns a fresh, empty store for each subtest.
package storetest
