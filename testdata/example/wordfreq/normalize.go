//go:build !perfgate_slow

package wordfreq

import "strings"

// normalize folds w to lower case.
func normalize(w string) string {
	return strings.ToLower(w)
}
