// Package wordfreq counts the most frequent words of a text. It is the
// example workload of perfgate's README: built with the perfgate_slow tag,
// its word normalizer is a slower one, and perfgate catches the regression.
package wordfreq

import (
	"slices"
	"strings"
	"unicode"
)

// Count is a word and how often it occurs.
type Count struct {
	Word string
	N    int
}

// Tokenize splits text into words: runs of letters and digits.
func Tokenize(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Top returns the n most frequent words of text, case folded, most frequent
// first and alphabetical among equals.
func Top(text string, n int) []Count {
	counts := make(map[string]int)
	for _, w := range Tokenize(text) {
		counts[normalize(w)]++
	}
	top := make([]Count, 0, len(counts))
	for w, c := range counts {
		top = append(top, Count{w, c})
	}
	slices.SortFunc(top, func(a, b Count) int {
		if a.N != b.N {
			return b.N - a.N
		}
		return strings.Compare(a.Word, b.Word)
	})
	if len(top) > n {
		top = top[:n]
	}
	return top
}
