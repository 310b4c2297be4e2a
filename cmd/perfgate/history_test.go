package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/internal/chromium"
	"github.com/perfgate/perfgate/internal/text"
	"github.com/perfgate/perfgate/store"
)

// TestHistoryRecordAndReport records a real run whose head makes Slow
// three times slower (both commits, with every result's profiles), adds
// the commits before and after it as imported files at the levels the run
// measured, and reports: the head commit is the one change point, a
// regression of Slow explained by the function that grew (Sum) in the
// recorded profiles, and Steady has none.
func TestHistoryRecordAndReport(t *testing.T) {
	ctx := context.Background()
	dir := newRepo(t, 3)
	data := filepath.Join(t.TempDir(), "data")
	runDir := filepath.Join(t.TempDir(), "run")
	code, _, stderr := perfgate(t, ctx, "-C", dir, "bench", "--base", "HEAD~1", "--rounds", "6", "--min-rounds", "0", "--benchtime", "20ms",
		"--profile-samples", "200", "--out", runDir, "--record", "--data", data)
	if code != exitRegression {
		t.Fatalf("bench --record: exit %d, want %d", code, exitRegression)
	}
	if !strings.Contains(stderr, "recorded run 1") || !strings.Contains(stderr, "base and head") {
		t.Errorf("stderr does not say the run was recorded, both sides:\n%s", stderr)
	}
	base, head := gitRun(t, dir, "rev-parse", "HEAD~1"), gitRun(t, dir, "rev-parse", "HEAD")
	// The same run again, as a CI job's artifact would come: refused.
	code, _, stderr = perfgate(t, ctx, "-C", dir, "history", "import", "--data", data, runDir)
	if code != exitError || !strings.Contains(stderr, "already recorded as run 1") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("importing the recorded run again: exit %d, %q; want 2 and one line", code, stderr)
	}

	// The levels the run measured, and its machine.
	st, err := store.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	trends, err := st.Trends(ctx, store.HistoryQuery{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string][2]float64{}
	var m store.Machine
	for _, tr := range trends {
		if tr.Unit != "sec/op" {
			continue
		}
		if len(tr.Points) != 2 || tr.Points[0].Commit.Hash != base || tr.Points[1].Commit.Hash != head || tr.Points[1].Commit.Subject != "head" {
			t.Fatalf("%s: points %+v, want the base then the head commit", tr.Benchmark, tr.Points)
		}
		levels[tr.Benchmark] = [2]float64{median(tr.Points[0].Values), median(tr.Points[1].Values)}
		m = tr.Machine
	}
	if len(levels) != 2 || m.Kernel == "" || m.Go == "" || m.Cores == 0 {
		t.Fatalf("levels %v on %+v: want Slow and Steady, on a machine with its kernel, Go and cores", levels, m)
	}

	// Seven commits before the base and seven after the head, at the run's
	// levels give or take 1%, as imported files of the same machine.
	baseTime, err := time.Parse(time.RFC3339, gitRun(t, dir, "show", "-s", "--format=%cI", base))
	if err != nil {
		t.Fatal(err)
	}
	headTime, _ := time.Parse(time.RFC3339, gitRun(t, dir, "show", "-s", "--format=%cI", head))
	files := t.TempDir()
	var paths []string
	wobble := []float64{1, 1.01, 0.99, 1.005, 0.995, 1.008, 0.992}
	for i := range 14 {
		side, at := 0, baseTime.Add(-time.Duration(7-i)*time.Hour)
		if i >= 7 {
			side, at = 1, headTime.Add(time.Duration(i-6)*time.Hour)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "commit: %040x\ncommit-time: %s\ncpu: %s\ncores: %d\ngo: %s\nkernel: %s\ngoos: %s\ngoarch: %s\npkg: example.com/tw\n",
			0xc0ffee000+i, at.Format(time.RFC3339), m.CPU, m.Cores, m.Go, m.Kernel, m.OS, m.Arch)
		for _, name := range slices.Sorted(maps.Keys(levels)) {
			level := levels[name][side]
			if !strings.HasPrefix(name, "BenchmarkSlow") {
				// Steady did not change: the run's two commits are two
				// points of one level, whatever this busy machine made
				// of them.
				level = (levels[name][0] + levels[name][1]) / 2
			}
			for k := range 5 {
				fmt.Fprintf(&b, "%s 1000 %.1f ns/op\n", name, level*1e9*wobble[(i+k)%len(wobble)])
			}
		}
		p := filepath.Join(files, fmt.Sprintf("%02d.txt", i+1))
		writeFiles(t, files, map[string]string{filepath.Base(p): b.String()})
		paths = append(paths, p)
	}
	if code, _, _ := perfgate(t, ctx, append([]string{"history", "import", "--data", data}, paths...)...); code != exitPass {
		t.Fatalf("history import: exit %d", code)
	}
	// Again: refused, nothing recorded twice.
	code, _, stderr = perfgate(t, ctx, append([]string{"history", "import", "--data", data}, paths[3])...)
	if code != exitError || !strings.Contains(stderr, "was imported before") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("a second import: exit %d, %q; want 2 and one line", code, stderr)
	}

	out := filepath.Join(t.TempDir(), "report")
	jsonFile := filepath.Join(t.TempDir(), "history.json")
	code, stdout, _ := perfgate(t, ctx, "history", "report", "--data", data, "--out", out, "--json", jsonFile)
	if code != exitRegression {
		t.Fatalf("history report: exit %d, want %d", code, exitRegression)
	}
	var h analyze.History
	raw, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	var sec []analyze.Change
	for _, c := range h.Changes {
		if c.Unit == "sec/op" {
			sec = append(sec, c)
		}
	}
	if len(sec) != 1 || !strings.HasPrefix(sec[0].Benchmark, "BenchmarkSlow") || sec[0].Commit != head || sec[0].Previous != base || sec[0].Status != analyze.StatusRegression {
		t.Fatalf("sec/op change points %+v: want one, BenchmarkSlow at the head commit", sec)
	}
	c := sec[0]
	if c.Delta < 1 || !(c.Low <= c.Delta && c.Delta <= c.High) {
		t.Errorf("change %+v: want about +200%% within its interval", c)
	}
	if len(c.Hot) == 0 || !strings.HasSuffix(c.Hot[0].Function, ".Sum") {
		t.Errorf("hot functions %+v (%s): want Sum first, from the recorded profiles", c.Hot, c.Why)
	}
	for _, f := range c.Profiles {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("the change's profile %s: %v", f, err)
		}
	}
	if !regexp.MustCompile(`REGRESSION example.com/tw BenchmarkSlow\S* sec/op \+\d`).MatchString(stdout) {
		t.Errorf("stdout does not name the regression:\n%s", stdout)
	}
	if !strings.Contains(stdout, text.ShortCommit(head)) {
		t.Errorf("stdout does not name the commit %s:\n%s", text.ShortCommit(head), stdout)
	}
	for _, name := range []string{"report.txt", "report.md", "report.html", "history.json"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The HTML report as a person sees it, in headless Chromium: the
	// change point in the table and marked on its trend's chart, with
	// the function that grew.
	bin := chromium.Find(t)
	dom, _ := chromium.Run(t, bin, filepath.Join(t.TempDir(), "chromium"), "--dump-dom", "file://"+filepath.Join(out, "report.html"))
	for _, want := range []string{"REGRESSION", `<table id="changes">`, `<svg class="chart rounds"`, `class="mark"`, "example.com/tw.Sum", text.ShortCommit(head)} {
		if !strings.Contains(dom, want) {
			t.Errorf("the HTML report's DOM has no %q", want)
		}
	}

	// The period after the change: no regression.
	code, stdout, _ = perfgate(t, ctx, "history", "report", "--data", data, "--out", filepath.Join(t.TempDir(), "r2"),
		"--since", headTime.Add(30*time.Minute).Format(time.RFC3339))
	if code != exitPass || !strings.Contains(stdout, "No change point") {
		t.Errorf("report since after the change: exit %d, want 0 and no change point", code)
	}
}

// TestHistoryBadInput: one line and exit 2 for a store that is not one, a
// store of a newer perfgate, no history, a bad --since; nothing is changed.
func TestHistoryBadInput(t *testing.T) {
	ctx := context.Background()
	notDB := t.TempDir()
	writeFiles(t, notDB, map[string]string{store.FileName: "this is not a database, it is a text file of some length................"})
	newer := t.TempDir()
	st, err := store.Open(ctx, newer)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	setSchemaVersion(t, newer, store.SchemaVersion()+1)
	empty := t.TempDir()
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"not a database", []string{"history", "report", "--data", notDB}, "not a SQLite database"},
		{"no history", []string{"history", "report", "--data", empty}, "no history in"},
		{"bad since", []string{"history", "report", "--data", empty, "--since", "last week"}, "--since"},
		{"import into not a database", []string{"history", "import", "--data", notDB, "x.txt"}, ""},
		{"newer schema", []string{"history", "report", "--data", newer, "--out", filepath.Join(t.TempDir(), "r")}, "upgrade perfgate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := perfgate(t, ctx, tt.args...)
			if code != exitError || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, %q: want 2 and one line with %q", code, stderr, tt.want)
			}
		})
	}
	data, _ := os.ReadFile(filepath.Join(notDB, store.FileName))
	if !strings.HasPrefix(string(data), "this is not a database") {
		t.Error("the file that is not a database was changed")
	}

	// A store another process holds locked: the import waits for it (10
	// s), then gives up with one line, and records nothing.
	locked := t.TempDir()
	st, err = store.Open(ctx, locked)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", filepath.Join(locked, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "one.txt")
	writeFiles(t, filepath.Dir(file), map[string]string{"one.txt": "commit: abc\nBenchmarkF 10 5 ns/op\n"})
	code, _, stderr := perfgate(t, ctx, "history", "import", "--data", locked, file)
	if code != exitError || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "locked") {
		t.Errorf("import into a locked store: exit %d, %q; want 2 and one line that says it is locked", code, stderr)
	}
	conn.ExecContext(ctx, "ROLLBACK")
	if code, _, _ := perfgate(t, ctx, "history", "import", "--data", locked, file); code != exitPass {
		t.Errorf("import once the lock is gone: exit %d, want 0 (nothing was recorded before)", code)
	}
}

// setSchemaVersion sets the schema version of the store in dir.
func setSchemaVersion(t *testing.T, dir string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE meta SET value = ? WHERE key = 'schema_version'`, fmt.Sprint(v)); err != nil {
		t.Fatal(err)
	}
}

// TestPastDurations: --shard balances by the history in --data, the time
// one round of each top-level benchmark took in the latest run; without
// a history, by nothing.
func TestPastDurations(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	g := &globals{dir: t.TempDir()}
	if d, err := g.pastDurations(ctx, sideFlags{data: data}); err != nil || d != nil {
		t.Errorf("without a history: %v, %v; want none", d, err)
	}
	file := filepath.Join(t.TempDir(), "a.txt")
	writeFiles(t, filepath.Dir(file), map[string]string{"a.txt": "commit: abc\npkg: example.com/p\nBenchmarkF/n=1-2 1000 2000000 ns/op\nBenchmarkF/n=2-2 500 2000000 ns/op\nBenchmarkG-2 10 1000 ns/op\n"})
	if code, _, _ := perfgate(t, ctx, "history", "import", "--data", data, file); code != exitPass {
		t.Fatalf("import: exit %d", code)
	}
	d, err := g.pastDurations(ctx, sideFlags{data: data})
	if err != nil || math.Abs(d["example.com/p.BenchmarkF"]-3) > 1e-9 || math.Abs(d["example.com/p.BenchmarkG"]-1e-5) > 1e-12 {
		t.Errorf("durations %v, %v; want BenchmarkF 3 s (its two sub-benchmarks), BenchmarkG 10 µs", d, err)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"2026-11-01T00:00:00Z", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), false},
		{"168h", now.Add(-168 * time.Hour), false},
		{"-24h", now.Add(-24 * time.Hour), false},
		{"7d", now.Add(-7 * 24 * time.Hour), false},
		{"0d", now, false},
		{"last week", time.Time{}, true},
		{"-7d", time.Time{}, true},
		{"7.5d", time.Time{}, true},
		{"", time.Time{}, true},
	} {
		got, err := parseSince(tt.in, now)
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"7d", "168h", "2026-11-01T00:00:00Z", "-1h", "99999999999d", "1e9h", "d"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSince(s, now)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of more than one line: %q", err)
			}
			return
		}
		if got.After(now) && !strings.Contains(s, "T") {
			t.Errorf("parseSince(%q) = %v: a duration back from now lands after it", s, got)
		}
	})
}
