package bench

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"

	"github.com/perfgate/perfgate/internal/text"
)

// failure returns the one line that says why a benchmark run failed, or ""
// when its output shows no failure. It recognises a failed benchmark
// ("--- FAIL: BenchmarkX" and the message under it), a panic (with the
// benchmark that was running, when the output names it) and a timeout.
func failure(out []byte) string {
	return text.OneLine(failureLine(out))
}

// failureLine is failure before the line is made one.
func failureLine(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var running string // the benchmark whose result line is not out yet
	var failed string
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case failed != "" && trimmed != "" && strings.HasPrefix(line, " "):
			return failed + " failed: " + trimmed
		case failed != "":
			return failed + " failed"
		case strings.HasPrefix(line, "--- FAIL:"):
			failed = "a benchmark"
			if f := strings.Fields(strings.TrimPrefix(line, "--- FAIL:")); len(f) > 0 {
				failed = f[0]
			}
		case strings.HasPrefix(line, "Benchmark"):
			f := strings.Fields(line)
			running = f[0]
			if i := strings.Index(line, "panic: "); i >= 0 {
				return f[0] + " panicked: " + strings.TrimSpace(line[i+len("panic: "):])
			}
			if len(f) > 2 {
				running = "" // a complete result line
			}
		case strings.HasPrefix(line, "panic: "):
			msg := strings.TrimPrefix(line, "panic: ")
			if running == "" {
				running = panicking(sc)
			}
			if running != "" {
				return running + " panicked: " + msg
			}
			return "panic: " + msg
		case strings.HasPrefix(line, "fatal error: "):
			if running == "" {
				running = panicking(sc)
			}
			if running != "" {
				return running + ": " + line
			}
			return line
		}
	}
	if failed != "" {
		return failed + " failed"
	}
	return ""
}

var benchmarkFrame = regexp.MustCompile(`\.(Benchmark[\pL\pN_]*)[.(]`)

// panicking reads the goroutine trace after a panic line and returns the
// benchmark function of the first frame that is one, or "".
func panicking(sc *bufio.Scanner) string {
	for sc.Scan() {
		if m := benchmarkFrame.FindStringSubmatch(sc.Text()); m != nil {
			return m[1]
		}
	}
	return ""
}
