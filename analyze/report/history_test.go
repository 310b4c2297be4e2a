package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/analyze"
)

// historyReport is a history of two trends: one with a regression (with
// its hot functions) and an improvement, one flat.
func historyReport() *analyze.History {
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	machine := "Test CPU; 2 cores; go1.26.0; linux/amd64; kernel 6.1.0"
	h := &analyze.History{Schema: analyze.HistorySchemaVersion, Generated: t0.Add(48 * time.Hour), Since: t0, Branch: "main"}
	levels := []float64{1000, 1000, 1000, 1080, 1080, 1080, 1026, 1026, 1026}
	var slow, flat analyze.Trend
	slow = analyze.Trend{Series: analyze.Series{Machine: machine, Package: "example.com/series", Benchmark: "BenchmarkChecksum-2", Unit: "sec/op"}}
	flat = analyze.Trend{Series: analyze.Series{Machine: machine, Package: "example.com/series", Benchmark: "BenchmarkSort-2", Unit: "sec/op"}}
	for i, l := range levels {
		commit := strings.Repeat(string(rune('0'+i)), 40)
		at := t0.Add(time.Duration(i) * time.Hour)
		slow.Points = append(slow.Points, analyze.TrendPoint{Commit: commit, Time: at, Subject: "commit " + string(rune('a'+i)), Value: analyze.Float(l * 1e-9), N: 10})
		flat.Points = append(flat.Points, analyze.TrendPoint{Commit: commit, Time: at, Value: analyze.Float(2e-6), N: 10})
	}
	h.Changes = []analyze.Change{
		{Series: slow.Series, Commit: slow.Points[3].Commit, Previous: slow.Points[2].Commit,
			Time: slow.Points[3].Time, Subject: "checksum: one more round", Before: 1000e-9, After: 1080e-9, BeforeCommits: 3, AfterCommits: 3,
			Delta: 0.08, Low: 0.071, High: 0.089, P: 0.0004, Status: analyze.StatusRegression,
			Hot: []analyze.Hot{{Function: "example.com/series.checksum", Base: 990, Head: 1070, Share: 1, Unit: "ns/op"}}},
		{Series: slow.Series, Commit: slow.Points[6].Commit, Previous: slow.Points[5].Commit,
			Time: slow.Points[6].Time, Before: 1080e-9, After: 1026e-9, BeforeCommits: 3, AfterCommits: 3,
			Delta: -0.05, Low: -0.058, High: -0.041, P: 0.0007, Status: analyze.StatusImprovement},
	}
	h.Regressions = 1
	slow.Changes = []int{0, 1}
	h.Trends = []analyze.Trend{slow, flat}
	h.Notes = []string{"1 of 3 trends have too few commits to find a change in (6 at least)"}
	return h
}

func TestHistoryGoldens(t *testing.T) {
	h := historyReport()
	for _, tt := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"history.txt.golden", func(b *bytes.Buffer) error { return HistoryText(b, h) }},
		{"history.md.golden", func(b *bytes.Buffer) error {
			return HistoryMarkdown(b, h, func(sha string) string { return "https://github.com/o/r/commit/" + sha })
		}},
		{"history.html.golden", func(b *bytes.Buffer) error { return HistoryHTML(b, h) }},
		{"history.json.golden", func(b *bytes.Buffer) error { return HistoryJSON(b, h) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
	// The JSON reads back as it was.
	var b bytes.Buffer
	if err := HistoryJSON(&b, h); err != nil {
		t.Fatal(err)
	}
	var back analyze.History
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Changes) != 2 || back.Changes[0].Commit != h.Changes[0].Commit || back.Regressions != 1 {
		t.Errorf("the JSON reads back as %+v, %v", back, err)
	}
}

// TestHistoryEscape: names, subjects and notes come from benchmark files
// anyone could have written; every format shows them escaped.
func TestHistoryEscape(t *testing.T) {
	h := historyReport()
	evil := "Benchmark\x1b[31mX</td><script>alert(1)</script>|@admin\n::error::pwned"
	h.Changes[0].Benchmark = evil
	h.Changes[0].Subject = "\u202eevil\x07 `code` <b>"
	h.Trends[0].Benchmark = evil
	h.Notes = append(h.Notes, "::set-output name=x::y")
	var text, md, page bytes.Buffer
	if err := HistoryText(&text, h); err != nil {
		t.Fatal(err)
	}
	if err := HistoryMarkdown(&md, h, nil); err != nil {
		t.Fatal(err)
	}
	if err := HistoryHTML(&page, h); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String(), "html": page.String()} {
		for _, bad := range []string{"\x1b", "\x07", "\u202e", "<script>", "\n::error::", "\n::set-output"} {
			if strings.Contains(out, bad) && (bad != "<script>" || name != "text") {
				t.Errorf("%s report holds %q unescaped", name, bad)
			}
		}
	}
	if strings.Contains(md.String(), "@admin") {
		t.Error("the Markdown report mentions @admin")
	}
}
