//go:build perfgate_slow

package wordfreq

import "unicode"

// normalize folds w to lower case the slow way: a string built rune by rune,
// one allocation per rune, the kind of change a review can miss.
func normalize(w string) string {
	var s string
	for _, r := range w {
		s += string(unicode.ToLower(r))
	}
	return s
}
