package bench

import (
	"strings"
	"testing"
)

// FuzzFailure feeds arbitrary output to failure, the reader of a
// benchmark process's output: it must not panic, and a reason it gives is
// one line.
func FuzzFailure(f *testing.F) {
	for _, s := range []string{
		"goos: linux\nBenchmarkOK-2   \t1000\t  12 ns/op\nPASS\n",
		"--- FAIL: BenchmarkFatal\n    f_test.go:10: boom: bad input\nFAIL\n",
		"--- FAIL: \n",
		"--- FAIL:",
		"--- FAIL: BenchmarkSub/x=1\n    f_test.go:12: sub failed 1\n--- FAIL: BenchmarkSub\nFAIL\n",
		"panic: kaboom\n\ngoroutine 19 [running]:\nexample.com/fo.BenchmarkPanic(0xb385d110308?)\n\t/tmp/fo/f_test.go:11 +0x4c\n",
		"BenchmarkX panic: inside the name line\n",
		"Benchmark\n",
		"fatal error: all goroutines are asleep - deadlock!\n",
		"BenchmarkOK-2   \t1000\t  12 ns/op\npanic: late\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		if reason := failure(out); strings.ContainsAny(reason, "\r\n") {
			t.Errorf("failure(%q) = %q, not one line", out, reason)
		}
	})
}

// FuzzSplitLevels checks the -bench regexp splitter and what is built on
// it: the levels join back into the regexp, and onlyTop keeps every level
// but the first.
func FuzzSplitLevels(f *testing.F) {
	for _, s := range []string{".", "Top/words=100", "Top/", "(a/b)/c", "[/]x/y", `a\/b/c`, `a\`, "((/", "[", "]/[/", "a/b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, run string) {
		levels := splitLevels(run)
		if len(levels) == 0 {
			t.Fatalf("splitLevels(%q) is empty", run)
		}
		if got := strings.Join(levels, "/"); got != run {
			t.Errorf("splitLevels(%q) = %q, which joins to %q", run, levels, got)
		}
		if topLevel(run) != levels[0] {
			t.Errorf("topLevel(%q) = %q, want %q", run, topLevel(run), levels[0])
		}
		only := splitLevels(onlyTop(run, "BenchmarkX"))
		if len(only) != len(levels) || strings.Join(only[1:], "/") != strings.Join(levels[1:], "/") {
			t.Errorf("onlyTop(%q) = %q changes the levels after the first", run, onlyTop(run, "BenchmarkX"))
		}
	})
}

// FuzzBenchmarkList feeds arbitrary -test.list output to benchmarkList:
// every name it returns is a line of the output that names a benchmark.
func FuzzBenchmarkList(f *testing.F) {
	for _, s := range []string{
		"TestA\nBenchmarkTop\nBenchmarkTokenize\nExampleX\nFuzzY\n",
		"BenchmarkA\r\nBenchmarkB\r\n",
		"init: hello\nBenchmark with spaces\nBenchmarkOK",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		lines := strings.Split(string(out), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimSuffix(l, "\r")
		}
		for _, name := range benchmarkList(out) {
			if !strings.HasPrefix(name, "Benchmark") || strings.ContainsAny(name, " \t\r\n") {
				t.Errorf("benchmarkList gave %q, not a benchmark's name", name)
			}
			found := false
			for _, l := range lines {
				found = found || l == name
			}
			if !found {
				t.Errorf("benchmarkList gave %q, which is no line of %q", name, out)
			}
		}
	})
}
