package text

import "testing"

func TestOneLine(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a\nb", "a b"},
		{"  building head:\n\tx.go:3: undefined  \r\n", "building head: x.go:3: undefined"},
		{"", ""},
	} {
		if got := OneLine(tt.in); got != tt.want {
			t.Errorf("OneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFirstLine(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"\n\n  go: no module  \nmore", 100, "go: no module"},
		{"abcdef", 3, "abc…"},
		{"héllo", 2, "hé…"},
		{" \n \n", 10, ""},
	} {
		if got := FirstLine(tt.in, tt.max); got != tt.want {
			t.Errorf("FirstLine(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestShortCommit(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"0123456789abcdef0123456789abcdef01234567", "0123456"},
		{"HEAD~1", "HEAD~1"},
		{"abc", "abc"},
		{"", ""},
	} {
		if got := ShortCommit(tt.in); got != tt.want {
			t.Errorf("ShortCommit(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
