package progress

import "fmt"

// progressText renders the fleet total "<done>/<total>".
func progressText(e Event) string {
	return fmt.Sprintf("%d/%d", e.CompletedOperations, e.TotalOperations)
}

// Bytes renders n bytes with a binary unit ("512 B", "1.5 KiB", "3.0 GiB").
func Bytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
