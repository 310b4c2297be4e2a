package proc

import (
	"errors"
	"testing"
)

func TestGoError(t *testing.T) {
	for _, tt := range []struct{ out, want string }{
		{"# example.com/tw [example.com/tw.test]\n./sum.go:4:2: undefined: nope\n./sum.go:5:2: declared and not used: x\n", "./sum.go:4:2: undefined: nope"},
		{"go: cannot find main module\n", "go: cannot find main module"},
		{"", "exit status 2"},
	} {
		if got := goError(tt.out, errors.New("exit status 2")); got != tt.want {
			t.Errorf("goError(%q) = %q, want %q", tt.out, got, tt.want)
		}
	}
}
