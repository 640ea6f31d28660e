package s3store

// SetCopyLimit lowers the single-copy limit so tests exercise the
// multipart copy without 5 GiB objects.
func SetCopyLimit(s *Store, n int64) { s.copyLimit = n }
