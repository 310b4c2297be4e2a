// Package text holds the few ways perfgate shortens text for a message: one
// line of an error, the first line of a tool's output, a commit hash as git
// abbreviates it.
package text

import (
	"strings"
	"unicode/utf8"
)

// OneLine returns s on one line: line breaks and runs of white space
// become single spaces, and the ends are trimmed.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// FirstLine returns the first line of s that is not blank, trimmed and cut
// to at most max runes (with "…" for the rest); "" when every line is
// blank.
func FirstLine(s string, max int) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if utf8.RuneCountInString(l) > max {
				l = string([]rune(l)[:max]) + "…"
			}
			return l
		}
	}
	return ""
}

// ShortCommit abbreviates a commit hash as git does by default, to 7
// hexadecimal digits; what is not a hash comes back as it is.
func ShortCommit(c string) string {
	if len(c) > 7 && IsHex(c) {
		return c[:7]
	}
	return c
}

// IsHex reports whether s is a non-empty string of hexadecimal digits, as
// a commit hash is.
func IsHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}
