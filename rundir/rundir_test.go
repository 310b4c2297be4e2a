package rundir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/analyze"
)

func TestFileName(t *testing.T) {
	long := strings.Repeat("x", 150)
	for in, want := range map[string]string{
		"Top/words=100":  "Top_words=100",
		"A B:c*d":        "A_B_c_d",
		"ünïcode/../x":   "__n__code_.._x",
		"plain-name.1_2": "plain-name.1_2",
	} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
	a, b := FileName(long+"a"), FileName(long+"b")
	if len(a) != maxFileName || a == b || !strings.HasPrefix(a, "xxxx") {
		t.Errorf("long names %q and %q: want two different names of %d bytes", a, b, maxFileName)
	}
}

// TestLayout checks that the names of the layout stay in the run
// directory and tell apart what they name.
func TestLayout(t *testing.T) {
	var d Dir
	names := []string{
		d.Results("base"), d.Results("head"), d.Round("base", 1), d.Round("head", 1),
		d.LoadRound("base", "checkout", 1, 0), d.LoadRound("base", "checkout", 1, 1),
		d.BuildLog("base"), d.Bin("base"), d.ServiceLog("base", "cart"),
		d.BenchProfiles("base", 0, 1, "Top/x=1", 0).CPU, d.BenchProfiles("base", 0, 1, "Top/x=1", 2).Mem,
		d.ServiceProfile("base", "cart", "checkout", "heap", 0), d.ScenarioOutput("base", "checkout", 1),
		d.EndpointProfile(0, "profile"), d.Diffs("BenchmarkX/../../y", "sec/op", "").Diff,
		d.Diffs("BenchmarkX", "sec/op", "cart").Folded, InfoFile, VerdictFile, ReportFile, LoadResultsFile,
	}
	seen := map[string]bool{}
	for _, n := range names {
		if !filepath.IsLocal(n) {
			t.Errorf("%q is not inside the run directory", n)
		}
		if seen[n] {
			t.Errorf("%q named twice", n)
		}
		seen[n] = true
	}
}

func TestCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "run")
	d, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	info := &Info{Tool: "perfgate", Started: time.Unix(1, 0).UTC(), Measured: []Round{{Round: 1, Side: "base"}}}
	if err := d.WriteInfo(info); err != nil {
		t.Fatal(err)
	}
	got, err := d.ReadInfo()
	if err != nil || got.Tool != "perfgate" || len(got.Measured) != 1 || !got.Started.Equal(info.Started) {
		t.Fatalf("ReadInfo = %+v, %v; want what WriteInfo wrote", got, err)
	}
	if _, err := Create(dir); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Errorf("Create on a run: %v, want an error saying it holds a run", err)
	}
}

func TestResolve(t *testing.T) {
	d := Dir{root: "/runs/1"}
	for rel, ok := range map[string]bool{
		"diffs/x.folded": true,
		"../x.folded":    false,
		"diffs/../../x":  false,
		"/etc/passwd":    false,
		"":               false,
	} {
		_, err := d.Resolve(rel)
		if (err == nil) != ok {
			t.Errorf("Resolve(%q): %v, want ok=%v", rel, err, ok)
		}
	}
}

func TestNewAndPrune(t *testing.T) {
	parent := filepath.Join(t.TempDir(), Parent)
	runs := filepath.Join(parent, "runs")
	// Older runs, out of order, and a directory that is not a run.
	for _, n := range []string{"20260101-000000-2", "20250101-000000", "20260101-000000", "20260101-000000-10", "notes"} {
		if err := os.MkdirAll(filepath.Join(runs, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Keep 2: the new run, and -10, the later of the two runs of one
	// second (by number, not by name).
	d, err := New(parent, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(parent, ".gitignore")); err != nil {
		t.Errorf("no .gitignore: %v", err)
	}
	entries, _ := os.ReadDir(runs)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	// ReadDir sorts by name: the new run comes after the old ones.
	if want := []string{"20260101-000000-10", filepath.Base(d.Root()), "notes"}; strings.Join(left, " ") != strings.Join(want, " ") {
		t.Errorf("runs left %q, want %q", left, want)
	}
	if removed, err := Prune(parent, 0); err != nil || removed != nil {
		t.Errorf("Prune(0) = %v, %v; want nothing removed", removed, err)
	}
}

func TestVerdictFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "verdict.json")
	if err := WriteVerdict(path, analyze.Failed("boom")); err != nil {
		t.Fatal(err)
	}
	v, err := ReadVerdict(path)
	if err != nil || v.Verdict != analyze.Error || v.Error != "boom" || v.Schema != analyze.SchemaVersion {
		t.Fatalf("ReadVerdict = %+v, %v", v, err)
	}
	for _, tt := range []struct{ data, want string }{
		{`{}`, "not a perfgate verdict"},
		{`null`, "not a perfgate verdict"},
		{`{"verdict": "maybe"}`, "not a perfgate verdict"},
		{`{"schema": 99, "verdict": "pass"}`, "newer perfgate"},
		{`[1]`, "cannot unmarshal"},
	} {
		if _, err := ParseVerdict([]byte(tt.data)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseVerdict(%s) = %v, want an error saying %q", tt.data, err, tt.want)
		}
	}
	if v, err := ParseVerdict([]byte(`{"verdict": "pass", "results": []}`)); err != nil || v.Verdict != analyze.Pass {
		t.Errorf("a verdict without a schema (before versions): %v, %v", v, err)
	}
}

func TestReadFlames(t *testing.T) {
	d, err := Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	name := "BenchmarkLoad/scenario=checkout/service=cart"
	var files []string
	for _, svc := range []string{"cart", "pricing"} {
		f := d.Diffs(name, "sec/op", svc).Folded
		if err := d.WriteFile(f, []byte("main;"+svc+"Work 10\n")); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	v := &analyze.Verdict{Results: []analyze.Result{{Benchmark: name, Unit: "sec/op", Profiles: files}}}
	flames, err := d.ReadFlames(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(flames[name+" sec/op"]), "cart;main;cartWork 10\npricing;main;pricingWork 10\n"; got != want {
		t.Errorf("flames = %q, want %q", got, want)
	}
	v.Results[0].Profiles = []string{"../../etc/passwd.folded"}
	if _, err := d.ReadFlames(v); err == nil {
		t.Error("ReadFlames read a file outside the run directory")
	}
}

// TestReadFlamesExplained: one flame graph per explanation, keyed by its
// benchmark and first unit, its services' stacks (of every kind) each
// under its service; none for the results it explains; a result no
// explanation explains keeps its own.
func TestReadFlamesExplained(t *testing.T) {
	d, err := Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	write := func(f, data string) string {
		t.Helper()
		if err := d.WriteFile(f, []byte(data)); err != nil {
			t.Fatal(err)
		}
		return f
	}
	scenario := analyze.LoadName{Scenario: "checkout"}.String()
	cart := analyze.LoadName{Scenario: "checkout", Service: "cart"}.String()
	var scenarioFiles []string
	for _, f := range []struct{ service, data string }{
		{"cart.on-cpu", "main;cartWork 10\n"},
		{"cart.network", "main;cartWait 20"}, // no line end
		{"pricing.v2.on-cpu", "main;quote 5\n\n"},
	} {
		names := d.Diffs(scenario, "sec/op", f.service)
		scenarioFiles = append(scenarioFiles, names.Diff, write(names.Folded, f.data))
	}
	bench := d.Diffs("BenchmarkX-8", "B/op", "")
	own := d.Diffs("BenchmarkY-8", "sec/op", "")
	for _, tt := range []struct {
		name         string
		explanations []analyze.Explanation
		want         map[string]string
	}{
		{"explained", []analyze.Explanation{
			{Benchmark: scenario, Units: []string{"sec/op", "p99-sec"}, Profiles: scenarioFiles,
				Hot: []analyze.Hot{{Function: "f", Service: "pricing.v2"}}, Split: []analyze.Split{{Service: "cart", Kind: "network"}}},
			{Benchmark: "BenchmarkX-8", Units: []string{"B/op"}, Profiles: []string{bench.Diff, write(bench.Folded, "main;alloc 7\n")}},
			{Benchmark: "BenchmarkZ-8", Units: []string{"sec/op"}}, // no profiles
			{Benchmark: "BenchmarkW-8"}, // no units
		}, map[string]string{
			scenario + " sec/op":  "cart;main;cartWork 10\ncart;main;cartWait 20\npricing.v2;main;quote 5\n",
			"BenchmarkX-8 B/op":   "main;alloc 7\n",
			"BenchmarkY-8 sec/op": "main;own 3\n",
		}},
		// Without explanations, as before: each regressed result its own,
		// the service of a file what its name adds to what the names
		// share, without a kind.
		{"no explanations", nil, map[string]string{
			cart + " sec/op":      "cart;main;cartWork 10\ncart;main;cartWait 20\npricing.v2;main;quote 5\n",
			cart + " p99-sec":     "cart;main;cartWork 10\ncart;main;cartWait 20\npricing.v2;main;quote 5\n",
			"BenchmarkX-8 B/op":   "main;alloc 7\n",
			"BenchmarkY-8 sec/op": "main;own 3\n",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := &analyze.Verdict{
				Results: []analyze.Result{
					{Benchmark: cart, Unit: "sec/op", Status: analyze.StatusRegression, Profiles: scenarioFiles},
					{Benchmark: cart, Unit: "p99-sec", Status: analyze.StatusRegression, Profiles: scenarioFiles},
					{Benchmark: "BenchmarkX-8", Unit: "B/op", Status: analyze.StatusRegression, Profiles: []string{bench.Folded}},
					{Benchmark: "BenchmarkY-8", Unit: "sec/op", Status: analyze.StatusRegression, Profiles: []string{write(own.Folded, "main;own 3\n")}},
				},
				Explanations: tt.explanations,
			}
			flames, err := d.ReadFlames(v)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				if got := string(flames[k]); got != want {
					t.Errorf("flames[%q] = %q, want %q", k, got, want)
				}
			}
			if len(flames) != len(tt.want) {
				t.Errorf("%d flame graphs, want %d: %q", len(flames), len(tt.want), flames)
			}
		})
	}
	v := &analyze.Verdict{Explanations: []analyze.Explanation{{Benchmark: scenario, Units: []string{"sec/op"}, Profiles: []string{"/etc/passwd.folded"}}}}
	if _, err := d.ReadFlames(v); err == nil {
		t.Error("ReadFlames read an explanation's file outside the run directory")
	}
}

// FuzzParseVerdict feeds arbitrary bytes to the verdict reader, which
// the privileged publishing side runs on files from untrusted runs: it
// must not panic, and what it accepts has an outcome perfgate gives.
func FuzzParseVerdict(f *testing.F) {
	for _, s := range []string{
		`{"schema":1,"verdict":"regression","results":[{"benchmark":"BenchmarkX","unit":"sec/op","base":{"center":1,"lo":null,"hi":2,"n":3},"delta":null,"hot":[{"function":"f","share":1}]}]}`,
		`{"verdict":"pass","results":[],"notes":["x"]}`,
		`{"verdict":"error","error":"boom"}`,
		`{}`, `null`, `[]`, `{"schema":2,"verdict":"pass"}`, `{"results":[{"config":{"pkg":"a"}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseVerdict(data)
		if err != nil {
			return
		}
		switch v.Verdict {
		case analyze.Pass, analyze.Regression, analyze.Inconclusive, analyze.Error:
		default:
			t.Errorf("accepted a verdict of %q", v.Verdict)
		}
	})
}
