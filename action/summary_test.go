package action

import (
	"os"
	"strings"
	"testing"
)

func TestWriteSummary(t *testing.T) {
	r := newRunner(t, "pull_request", "pull_request_opened.json")
	if err := WriteSummary(r.action(), "## perfgate\n\nno regression"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(r.env["GITHUB_STEP_SUMMARY"])
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "## perfgate\n\nno regression\n" {
		t.Errorf("summary %q", data)
	}

	// A huge report, on top of what is there, is cut at a line end.
	line := "| BenchmarkX/size=10-8 | sec/op | 1.2µs | 1.5µs | +25.00% |\n"
	if err := WriteSummary(r.action(), strings.Repeat(line, 40000)); err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(r.env["GITHUB_STEP_SUMMARY"])
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > MaxSummaryBytes {
		t.Errorf("summary of %d bytes, over %d", len(data), MaxSummaryBytes)
	}
	body := strings.TrimPrefix(string(data), "## perfgate\n\nno regression\n")
	body, cut := strings.CutSuffix(body, summaryCut+"\n")
	if !cut || strings.Trim(body, line[:len(line)-1]+"\n") != "" || !strings.HasSuffix(body, line) {
		t.Errorf("the summary was not cut at a line end with a note: ...%q", data[len(data)-200:])
	}

	delete(r.env, "GITHUB_STEP_SUMMARY")
	if err := WriteSummary(r.action(), "x"); err != nil {
		t.Errorf("outside a runner: %v", err)
	}
	r.env["GITHUB_STEP_SUMMARY"] = t.TempDir()
	if err := WriteSummary(r.action(), "x"); err == nil {
		t.Error("no error for a summary file that cannot be written")
	}
}

func TestCutAtLine(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"ab\ncd\n", 10, "ab\ncd\n"},
		{"ab\ncd\n", 5, "ab\n"},
		{"abcdef", 4, "abcd"},
		{"éé", 3, "é"},
		{"abc", 0, ""},
	} {
		if got := cutAtLine(tt.s, tt.n); got != tt.want {
			t.Errorf("cutAtLine(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
