package bench

import (
	"regexp"
	"slices"
	"testing"
)

func TestSplitLevels(t *testing.T) {
	for _, tt := range []struct {
		run  string
		want []string
	}{
		{".", []string{"."}},
		{"Top/words=100", []string{"Top", "words=100"}},
		{"Top/", []string{"Top", ""}},
		{"(a/b)/c", []string{"(a/b)", "c"}},
		{"[/]x/y", []string{"[/]x", "y"}},
		{`a\/b/c`, []string{`a\/b`, "c"}},
		{"a/b/c", []string{"a", "b", "c"}},
	} {
		if got := splitLevels(tt.run); !slices.Equal(got, tt.want) {
			t.Errorf("splitLevels(%q) = %q, want %q", tt.run, got, tt.want)
		}
	}
}

func TestOnlyTop(t *testing.T) {
	for _, tt := range []struct {
		run, top, want string
	}{
		{".", "BenchmarkTop", "^BenchmarkTop$"},
		{"Top/words=1", "BenchmarkTop", "^BenchmarkTop$/words=1"},
		{"X", "BenchmarkA.B", `^BenchmarkA\.B$`},
	} {
		if got := onlyTop(tt.run, tt.top); got != tt.want {
			t.Errorf("onlyTop(%q, %q) = %q, want %q", tt.run, tt.top, got, tt.want)
		}
	}
}

// TestExactRegexp checks that the regexp of a name matches, level by level
// as go test matches, that name and not its neighbours.
func TestExactRegexp(t *testing.T) {
	for _, tt := range []struct {
		name    string
		match   []string
		noMatch []string
	}{
		{"BenchmarkTop/words=100", []string{"BenchmarkTop/words=100"}, []string{"BenchmarkTop/words=1000", "BenchmarkTopX/words=100"}},
		{"BenchmarkA+B/x.y", []string{"BenchmarkA+B/x.y"}, []string{"BenchmarkAAB/x.y", "BenchmarkA+B/xzy"}},
		{"BenchmarkSum", []string{"BenchmarkSum"}, []string{"BenchmarkSum2", "BenchmarkSu"}},
	} {
		levels := splitLevels(exactRegexp(tt.name))
		matches := func(name string) bool {
			parts := splitLevels(name)
			if len(parts) != len(levels) {
				return false
			}
			for i, p := range parts {
				if !regexp.MustCompile(levels[i]).MatchString(p) {
					return false
				}
			}
			return true
		}
		for _, m := range tt.match {
			if !matches(m) {
				t.Errorf("exactRegexp(%q) = %q does not match %q", tt.name, exactRegexp(tt.name), m)
			}
		}
		for _, m := range tt.noMatch {
			if matches(m) {
				t.Errorf("exactRegexp(%q) = %q matches %q", tt.name, exactRegexp(tt.name), m)
			}
		}
	}
}

func TestProcsSuffix(t *testing.T) {
	for _, tt := range []struct {
		names []string
		want  string
	}{
		{[]string{"Top/words=100-2", "Tokenize-2"}, "-2"},
		{[]string{"Top/n-10", "Tokenize"}, ""}, // GOMAXPROCS=1: no suffix, and n-10 is a name
		{[]string{"A-8", "B-4"}, ""},
		{[]string{"A-16"}, "-16"},
		{nil, ""},
	} {
		if got := procsSuffix(tt.names); got != tt.want {
			t.Errorf("procsSuffix(%q) = %q, want %q", tt.names, got, tt.want)
		}
	}
}

// The outputs below were captured from go1.26 test binaries running
// benchmarks that call b.Fatal, panic, and fail in a sub-benchmark.
func TestFailure(t *testing.T) {
	for _, tt := range []struct {
		name, out, want string
	}{
		{"pass", "goos: linux\nBenchmarkOK-2   \t1000\t  12 ns/op\nPASS\n", ""},
		{"skip", "--- SKIP: BenchmarkS\n    x_test.go:3: later\nPASS\n", ""},
		{"fatal", "--- FAIL: BenchmarkFatal\n    f_test.go:10: boom: bad input\nFAIL\n",
			"BenchmarkFatal failed: f_test.go:10: boom: bad input"},
		{"sub", "--- FAIL: BenchmarkSub/x=1\n    f_test.go:12: sub failed 1\n--- FAIL: BenchmarkSub\nFAIL\n",
			"BenchmarkSub/x=1 failed: f_test.go:12: sub failed 1"},
		{"fail without message", "--- FAIL: BenchmarkQuiet\nFAIL\n", "BenchmarkQuiet failed"},
		{"panic", "panic: kaboom\n\ngoroutine 19 [running]:\nexample.com/fo.BenchmarkPanic(0xb385d110308?)\n\t/tmp/fo/f_test.go:11 +0x4c\ntesting.(*B).runN(0xb385d110308, 0x1)\n",
			"BenchmarkPanic panicked: kaboom"},
		{"panic in closure", "panic: bad [recovered]\n\ngoroutine 7 [running]:\nexample.com/fo.BenchmarkSub.func1(0x1)\n",
			"BenchmarkSub panicked: bad [recovered]"},
		{"panic after a result", "BenchmarkOK-2   \t1000\t  12 ns/op\npanic: late\n\ngoroutine 1 [running]:\nmain.main()\n",
			"panic: late"},
		{"fatal error", "fatal error: all goroutines are asleep - deadlock!\n", "fatal error: all goroutines are asleep - deadlock!"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := failure([]byte(tt.out)); got != tt.want {
				t.Errorf("failure() = %q, want %q", got, tt.want)
			}
		})
	}
}
