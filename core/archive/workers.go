package archive

// defaultConcurrency is how many objects Publish, Fetch and Verify move at
// once when their options leave it 0.
const defaultConcurrency = 4

// workers returns n, or defaultConcurrency when n < 1.
func workers(n int) int {
	if n < 1 {
		return defaultConcurrency
	}
	return n
}
