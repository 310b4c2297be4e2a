package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/perfgate/perfgate/analyze"
)

func commitURL(sha string) string { return "https://github.com/perfgate/perfgate/commit/" + sha }

func TestMarkdownGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Markdown(&buf, verdict(t), MarkdownOptions{CommitURL: commitURL}); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.markdown.golden", buf.Bytes())
	checkMarkdownTables(t, buf.String())
}

// TestMarkdownMarker: the marker is the first line, the default one or the
// caller's.
func TestMarkdownMarker(t *testing.T) {
	for _, tt := range []struct{ marker, want string }{
		{"", DefaultMarker},
		{"<!-- perfgate: nightly -->", "<!-- perfgate: nightly -->"},
	} {
		var buf bytes.Buffer
		if err := Markdown(&buf, verdict(t), MarkdownOptions{Marker: tt.marker}); err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(buf.String(), "\n"); first != tt.want {
			t.Errorf("marker %q: first line %q, want %q", tt.marker, first, tt.want)
		}
	}
}

// hostile is a name a pull request could give a benchmark, a function or a
// configuration value.
const hostile = "Benchmark|x</details><script>@octocat`"

// TestMarkdownEscape: untrusted names neither break a table, nor open or
// close HTML, nor start a code span, nor mention anyone.
func TestMarkdownEscape(t *testing.T) {
	v := &analyze.Verdict{
		Verdict: analyze.Regression,
		Alpha:   0.05,
		Base:    analyze.Side{Ref: "main</details>@octocat", Commit: strings.Repeat("1", 40)},
		Head:    analyze.Side{Ref: "feature|*x*", Commit: "not a sha](javascript:alert(1))"},
		Results: []analyze.Result{
			{
				Benchmark: hostile, Unit: "sec/op|<b>",
				Config: analyze.Config{{Key: "pkg", Value: "p</sub>@org/team"}},
				Base:   &analyze.Summary{Center: 1, Lo: 0.9, Hi: 1.1, N: 10},
				Head:   &analyze.Summary{Center: 2, Lo: 1.9, Hi: 2.1, N: 10},
				Delta:  1, P: 0.001, Threshold: 0.05, Better: analyze.LowerBetter, Regression: true, Status: analyze.StatusRegression,
				Hot: []analyze.Hot{{Function: "pkg.F|</code>`@octocat[x](y)", Service: "svc<img src=x>", Base: 1, Head: 2, Share: 1, Unit: "ns/op",
					Path: []string{"main.main", "a|b", "c</details>", "d`e", "pkg.F|</code>`@octocat[x](y)"}}},
			},
			{
				Benchmark: hostile + "2", Unit: "B/op",
				Config: analyze.Config{{Key: "pkg", Value: "q"}},
				Base:   &analyze.Summary{Center: 1, N: 10}, Head: &analyze.Summary{Center: 1, N: 10},
				Status: analyze.StatusUnchanged, Warnings: []string{"warning|</details>@octocat"},
			},
		},
		Notes: []string{"# not a heading @octocat </details>", "1. not a list", "- not a list either | `x`"},
	}
	var buf bytes.Buffer
	if err := Markdown(&buf, v, MarkdownOptions{CommitURL: commitURL}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script", "</script", "<img", "<b>", "@octocat", "@org", "</code>`"} {
		if strings.Contains(out, bad) {
			t.Errorf("output has %q:\n%s", bad, out)
		}
	}
	// A backtick or a link is escaped: a backslash before it.
	if m := regexp.MustCompile("(^|[^\\\\])(`|\\](\\(javascript|\\(y\\)))").FindString(out); m != "" {
		t.Errorf("output has an unescaped %q:\n%s", m, out)
	}
	// Every </details> is ours: one per <details>, each on a line of its
	// own.
	if o, c := strings.Count(out, "<details>"), strings.Count(out, "</details>"); o != c || c != strings.Count(out, "\n</details>\n") {
		t.Errorf("%d <details>, %d </details>, want as many, each on its own line:\n%s", o, c, out)
	}
	// No line of a note starts a block.
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "- ") && regexp.MustCompile(`^- (#|\d+\.|-|\+)`).MatchString(line) {
			t.Errorf("note line %q starts a block", line)
		}
	}
	checkMarkdownTables(t, out)
	if !strings.Contains(out, `Benchmark\|x&lt;/details&gt;&lt;script&gt;@`+"\u200d"+"octocat\\`") {
		t.Errorf("the hostile name is not escaped as expected:\n%s", out)
	}
}

// checkMarkdownTables checks that every row of every table has as many
// cells as its header: no name broke a table.
func checkMarkdownTables(t *testing.T, md string) {
	t.Helper()
	cells := -1
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = -1
			continue
		}
		n := countCells(line)
		if cells < 0 {
			cells = n
			continue
		}
		if n != cells {
			t.Errorf("table row with %d cells, header has %d: %s", n, cells, line)
		}
	}
}

// countCells counts a GFM table row's cells: its unescaped pipes, less one.
func countCells(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n - 1
}

// TestMarkdownLimit: 5000 results in a pull request comment's 65000 bytes:
// the output stays under, keeps the marker, the heading and the worst
// regressions, and ends by saying what it left out.
func TestMarkdownLimit(t *testing.T) {
	v := &analyze.Verdict{Verdict: analyze.Regression, Alpha: 0.05,
		Base: analyze.Side{Ref: "main", Commit: strings.Repeat("a", 40)}, Head: analyze.Side{Ref: "pr", Commit: strings.Repeat("b", 40)}}
	statuses := []analyze.Status{analyze.StatusRegression, analyze.StatusImprovement, analyze.StatusUnchanged,
		analyze.StatusUnchanged, analyze.StatusWithinThreshold}
	for i := range 5000 {
		s := statuses[i%len(statuses)]
		r := analyze.Result{
			Benchmark: fmt.Sprintf("BenchmarkGenerated/case=%04d/with_a_rather_long_name-8", i), Unit: "sec/op",
			Base:  &analyze.Summary{Center: 1e-6, Lo: 0.9e-6, Hi: 1.1e-6, N: 10},
			Head:  &analyze.Summary{Center: 1.5e-6, Lo: 1.4e-6, Hi: 1.6e-6, N: 10},
			Delta: analyze.Float(0.5 + float64(i)/1e4), P: 0.0001, Threshold: 0.05, Status: s, Regression: s == analyze.StatusRegression,
		}
		if s == analyze.StatusRegression {
			r.Hot = []analyze.Hot{{Function: fmt.Sprintf("example.com/pkg.f%d", i), Base: 10, Head: 20, Share: 1, Unit: "ns/op",
				Path: []string{"main.main", "example.com/pkg.run", fmt.Sprintf("example.com/pkg.f%d", i)}}}
		}
		v.Results = append(v.Results, r)
	}
	for i := range 50 {
		v.Notes = append(v.Notes, fmt.Sprintf("note %d", i))
	}
	for _, max := range []int{65000, 20000, 3000, 300, 40} {
		var buf bytes.Buffer
		if err := Markdown(&buf, v, MarkdownOptions{MaxBytes: max, CommitURL: commitURL}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if len(out) > max {
			t.Errorf("max %d: %d bytes", max, len(out))
		}
		if !utf8.ValidString(out) {
			t.Errorf("max %d: output is not valid UTF-8", max)
		}
		if max < 1000 {
			continue // not even the heading and the note fit
		}
		if !strings.HasPrefix(out, DefaultMarker+"\n## ❌ perfgate: regression\n") {
			t.Errorf("max %d: no marker and heading:\n%.300s", max, out)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		last := lines[len(lines)-1]
		if !regexp.MustCompile(`^… \d+ more results.* left out to fit GitHub's limit; the full report is in the run's artifacts$`).MatchString(last) {
			t.Errorf("max %d: last line %q", max, last)
		}
		if max >= 3000 && !strings.Contains(out, "BenchmarkGenerated/case=4995/") {
			t.Errorf("max %d: the worst regression is left out", max)
		}
		checkMarkdownTables(t, out)
		if o, c := strings.Count(out, "<details>"), strings.Count(out, "</details>"); o != c {
			t.Errorf("max %d: %d <details>, %d </details>", max, o, c)
		}
	}
	// With the default limit (1 MiB less 1 KiB), the folded table of the
	// other results is the first thing left out.
	var buf bytes.Buffer
	if err := Markdown(&buf, v, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > DefaultMarkdownMaxBytes || !strings.HasSuffix(buf.String(), "\n… 3000 more results left out to fit GitHub's limit; the full report is in the run's artifacts\n") {
		t.Errorf("default limit: %d bytes, ending %q", buf.Len(), buf.String()[buf.Len()-200:])
	}
}

func TestMarkdownVerdicts(t *testing.T) {
	for _, tt := range []struct {
		v    *analyze.Verdict
		want []string
	}{
		{&analyze.Verdict{Verdict: analyze.Error, Error: "bench: build failed: <x> @me"}, []string{"## 💥 perfgate: error", "**Error:** bench: build failed: &lt;x&gt; @\u200dme"}},
		{&analyze.Verdict{Verdict: analyze.Pass}, []string{"## ✅ perfgate: pass"}},
		{&analyze.Verdict{Verdict: analyze.Inconclusive}, []string{"## ⚠️ perfgate: inconclusive", "run more rounds"}},
	} {
		var buf bytes.Buffer
		if err := Markdown(&buf, tt.v, MarkdownOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s: no %q in\n%s", tt.v.Verdict, w, buf.String())
			}
		}
	}
}
