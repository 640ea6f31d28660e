package replica

// ChangesState reports whether executing c may change the replica's state:
// false for queries and for update calls to read-only methods (status,
// snapshot listing and reads, query methods of the built-in application),
// true otherwise, including unknown methods, which are rejected.
func (c Call) ChangesState() bool {
	if c.Kind == Query {
		return false
	}
	if len(c.Canister) == 0 {
		m, ok := mgmtMethods[c.Method]
		return !ok || !m.readOnly
	}
	m, ok := appMethods[c.Method]
	return !ok || !m.query
}
