package checksum

// FileDigest is one file of a directory artifact known by its digest
// rather than its bytes (an object in a store, say).
type FileDigest struct {
	// Rel is the file's path relative to the artifact root, '/'-separated.
	Rel string
	// SHA256 is the file's lower-case hex SHA-256.
	SHA256 string
}

// FromFileDigests returns the checksum of a directory artifact made of
// files, computed exactly as FromDirectory (and FromPath on a directory)
// computes it from the files themselves: the files in component-wise path
// order, each contributing its path, a NUL, its digest and a newline.
// The order of files does not matter.
func FromFileDigests(files []FileDigest) Checksum {
	var t Tree
	for _, f := range files {
		t.Add(f.Rel, f.SHA256)
	}
	return Checksum{Algorithm: Algorithm, Hash: t.Sum()}
}
