// Package text holds the few ways perfgate shortens text for a message: one
// line of an error, the first line of a tool's output, a commit hash as git
// abbreviates it.
package text

import (
	"fmt"
	"strconv"
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

// Terminal is untrusted text as the text report and perfgate hot print
// it. Untrusted is everything the code under test wrote: benchmark names,
// configuration keys and values, units, function names and call paths,
// service names, notes and warnings that quote them, the verdict's error,
// and all of a verdict read back from a file. Printed raw, it could drive
// the terminal (escape sequences, BEL, CR), reorder what is read (bidi
// overrides), or issue a workflow command to the GitHub Actions runner
// that reads the output of a plain CI step. So:
//
//   - what is not printable (C0 controls with ESC, BEL, CR, line breaks
//     and tabs, DEL, C1 controls, format characters such as the bidi
//     overrides U+202E and U+2066, spaces other than U+0020) is written as
//     Go's %q writes it: \x1b, \a, \r, \n, \u202e; a byte that is not
//     UTF-8 as \xff;
//   - a colon that begins the text, after spaces, is written \x3a: the
//     runner reads a line that begins with "::" after white space as a
//     command, and the text may begin a line, or be followed by the
//     report's own ": ";
//   - "##[", which the runner's legacy syntax reads anywhere in a line, is
//     written "##\x5b".
//
// The escapes are for the eye, not to be read back: a backslash is left as
// it is. Text with nothing to escape comes back as it is.
func Terminal(s string) string {
	var b strings.Builder
	lead := true // only spaces so far
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case lead && r == ':':
			b.WriteString(`\x3a`)
		case r == '[' && strings.HasSuffix(s[:i], "##"):
			b.WriteString(`\x5b`)
		default:
			WriteVisible(&b, s[i:i+size])
		}
		lead = lead && r == ' '
		i += size
	}
	return b.String()
}

// WriteVisible writes one character, or a byte that is not UTF-8, as it
// is when it is printable and as Go's %q escapes it when it is not:
// "\x1b", "\a", "\u202e", "\xff".
func WriteVisible(b *strings.Builder, c string) {
	r, size := utf8.DecodeRuneInString(c)
	switch {
	case r == utf8.RuneError && size == 1:
		fmt.Fprintf(b, `\x%02x`, c[0])
	case strconv.IsPrint(r):
		b.WriteString(c)
	default:
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
}
