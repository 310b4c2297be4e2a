package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
)

var update = flag.Bool("update", false, "rewrite golden files")

// verdict is the shared input of the golden tests: analyze.Compare of the
// hand-made server fixtures (see ../testdata/README.md), which have a
// regression in each of sec/op, req/s and allocs/op, improvements,
// changes within the threshold, unchanged results, a unit of unknown
// direction, too few samples, a benchmark on each side only, benchmath
// warnings and two packages, followed on each side by the load fixture of
// testdata/load-*.txt (a load scenario of three services, see
// testdata/README.md). The sides are named as perfgate bench names them,
// and two regressions have hot functions.
func verdict(t testing.TB) *analyze.Verdict {
	t.Helper()
	var sides [2]*analyze.Results
	for i, side := range []string{"base", "head"} {
		server, err := os.ReadFile(filepath.Join("..", "testdata", "server-"+side+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		load, err := os.ReadFile(filepath.Join("testdata", "load-"+side+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		in := io.MultiReader(bytes.NewReader(server), bytes.NewReader(load))
		sides[i], err = analyze.ReadResults(in, side+".txt", side)
		if err != nil {
			t.Fatal(err)
		}
	}
	v, err := analyze.Compare(sides[0], sides[1], analyze.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	v.Base = analyze.Side{Ref: "main", Commit: strings.Repeat("1", 40)}
	v.Head = analyze.Side{Ref: "HEAD", Commit: strings.Repeat("2", 40), Dirty: true}
	// The hot functions of two regressions, as attachHot would give them
	// from their profiles: a benchmark's, and a load scenario's over the
	// CPU profiles of its services.
	for i := range v.Results {
		r := &v.Results[i]
		switch r.Benchmark + " " + r.Unit {
		case "BenchmarkHandle/path=root-8 sec/op":
			r.Hot = []analyze.Hot{
				{Function: "example.com/server.(*Router).match", Service: "api", Base: 120, Head: 205, BaseCum: 300, HeadCum: 390,
					Share: 0.85, Unit: "ns/op", Path: []string{"net/http.(*conn).serve", "net/http.serverHandler.ServeHTTP",
						"net/http.HandlerFunc.ServeHTTP", "example.com/server.(*Router).ServeHTTP",
						"example.com/server.(*Router).lookup", "example.com/server.(*Router).match"}},
				{Function: "encoding/json.Marshal", Base: 0, Head: 15, BaseCum: 0, HeadCum: 40, Share: 0.15, Unit: "ns/op"},
			}
			r.Profiles = []string{"diffs/x.base.pb.gz", "diffs/x.head.pb.gz", "diffs/x.diff.pb.gz", "diffs/x.folded"}
		case "BenchmarkLoad/scenario=checkout/service=cart p99-sec":
			r.Hot = []analyze.Hot{
				{Function: "example.com/shop/cart.computePrice", Service: "cart", Base: 2100, Head: 8700, BaseCum: 2100, HeadCum: 10100,
					Share: 0.62, Unit: "ns/op", Path: []string{"net/http.(*conn).serve", "net/http.serverHandler.ServeHTTP",
						"net/http.(*ServeMux).ServeHTTP", "net/http.HandlerFunc.ServeHTTP",
						"example.com/shop/cart.(*Server).checkout", "example.com/shop/cart.(*Server).price",
						"example.com/shop/cart.computePrice"}},
				{Function: "example.com/shop/pricing.Quote", Service: "pricing", Base: 9000, Head: 11500, BaseCum: 15000, HeadCum: 17800,
					Share: 0.24, Unit: "ns/op", Path: []string{"net/http.(*conn).serve", "example.com/shop/pricing.Quote"}},
				{Function: "runtime.scanobject", Service: "cart", Base: 3000, Head: 4500, BaseCum: 3000, HeadCum: 4500,
					Share: 0.14, Unit: "ns/op"},
			}
			r.Profiles = []string{"diffs/checkout.base.pb.gz", "diffs/checkout.head.pb.gz", "diffs/checkout.diff.pb.gz", "diffs/checkout.folded"}
		}
	}
	return v
}

// flames are the HTML report's diff flame graphs of the shared input:
// hand-made folded stacks of the two regressions with hot functions (see
// testdata/README.md).
func flames(t testing.TB) map[string][]byte {
	t.Helper()
	m := make(map[string][]byte)
	for key, file := range map[string]string{
		"BenchmarkHandle/path=root-8 sec/op":                   "root.folded",
		"BenchmarkLoad/scenario=checkout/service=cart p99-sec": "checkout.folded",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		m[key] = b
	}
	return m
}

// TestVerdictCoverage keeps the golden input honest: it must exercise
// every status the reports render.
func TestVerdictCoverage(t *testing.T) {
	v := verdict(t)
	for _, s := range []analyze.Status{
		analyze.StatusRegression, analyze.StatusImprovement, analyze.StatusWithinThreshold,
		analyze.StatusChanged, analyze.StatusUnchanged, analyze.StatusTooFewSamples,
		analyze.StatusBaseOnly, analyze.StatusHeadOnly,
	} {
		if v.Count(s) == 0 {
			t.Errorf("no result with status %s", s)
		}
	}
	warned := false
	for _, r := range v.Results {
		warned = warned || len(r.Warnings) > 0
	}
	if !warned || len(v.Notes) == 0 {
		t.Errorf("warnings %v, notes %d: want both", warned, len(v.Notes))
	}
	if v.Verdict != analyze.Regression {
		t.Errorf("verdict %s, want %s", v.Verdict, analyze.Regression)
	}
}

func TestTextGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Text(&buf, verdict(t), false); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("\x1b")) {
		t.Error("plain text has escape sequences")
	}
	golden(t, "compare.text.golden", buf.Bytes())
}

func TestColorGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Text(&buf, verdict(t), true); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.color.golden", buf.Bytes())
	// Without its escapes, the colored text is the plain text.
	var plain bytes.Buffer
	if err := Text(&plain, verdict(t), false); err != nil {
		t.Fatal(err)
	}
	if got := ansiEscape.ReplaceAllString(buf.String(), ""); got != plain.String() {
		t.Errorf("colored text without escapes differs from the plain text:\n%s", lineDiff(plain.String(), got))
	}
	for _, want := range []string{ansiBold + ansiRed + "REGRESSION", ansiRed + "  regressed: ", ansiGreen + "improvement" + ansiReset} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("colored text has no %q", want)
		}
	}
}

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestTextOrder: the summary line first, then the regressions, then the
// tables, then the notes. The regressions go by subject (a load scenario,
// a benchmark in its configuration), worst first; within a scenario, its
// response time and throughput come before its services' resources, even
// a service's CPU time from a base of zero; an explanation comes once,
// after the last regression it explains.
func TestTextOrder(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    *analyze.Verdict
	}{{"compare", verdict(t)}, {"explained", explainedVerdict(t)}} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Text(&buf, tt.v, false); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			first, _, _ := strings.Cut(out, "\n")
			for _, want := range []string{"REGRESSION: ", " regressed, ", "base main 1111111", "head HEAD 2222222 (dirty)"} {
				if !strings.Contains(first, want) {
					t.Errorf("first line %q has no %q", first, want)
				}
			}
			type subject struct {
				name  string
				worst float64
			}
			var subjects []subject
			resources := make(map[string]bool) // a scenario's resources began
			regressed := regexp.MustCompile(`^  regressed: (\S+) (\S+)( \[[^]]*\])? (\S+) \(threshold (\S+)%\)$`)
			for _, line := range strings.Split(out, "\n") {
				if !strings.HasPrefix(line, "  regressed: ") {
					continue
				}
				m := regressed.FindStringSubmatch(line)
				if m == nil {
					t.Fatalf("cannot read %q", line)
				}
				name, unit, delta := m[1]+m[3], m[2], m[4]
				th, err := strconv.ParseFloat(m[5], 64)
				if err != nil {
					t.Fatalf("cannot read %q", line)
				}
				x := math.Inf(1)
				if delta != "?" {
					d, err := strconv.ParseFloat(strings.Trim(delta, "+%"), 64)
					if err != nil {
						t.Fatalf("cannot read %q", line)
					}
					x = math.Abs(d) - th
				}
				if n, ok := analyze.ParseLoadName(m[1]); ok {
					name = "scenario " + n.Scenario
					if resourceUnits[unit] {
						resources[name] = true
					} else if resources[name] {
						t.Errorf("%s %s comes after a resource of its scenario", m[1], unit)
					}
				}
				if len(subjects) == 0 || subjects[len(subjects)-1].name != name {
					for _, s := range subjects {
						if s.name == name {
							t.Errorf("the regressions of %s are not together", name)
						}
					}
					subjects = append(subjects, subject{name, x})
				}
				subjects[len(subjects)-1].worst = max(subjects[len(subjects)-1].worst, x)
			}
			if len(subjects) < 2 || !slices.IsSortedFunc(subjects, func(a, b subject) int { return cmp.Compare(b.worst, a.worst) }) {
				t.Errorf("subjects not worst first: %v", subjects)
			}
			iRegs, iTable, iNote := strings.Index(out, "  regressed: "), strings.Index(out, "sec/op   "), strings.Index(out, "\nnote: ")
			if !(0 < iRegs && iRegs < iTable && iTable < iNote) {
				t.Errorf("sections out of order: regressions at %d, first table at %d, notes at %d", iRegs, iTable, iNote)
			}
		})
	}
	var buf bytes.Buffer
	if err := Text(&buf, verdict(t), false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "      path: … → net/http.HandlerFunc.ServeHTTP → example.com/server.(*Router).ServeHTTP → example.com/server.(*Router).lookup → example.com/server.(*Router).match\n") {
		t.Error("no call path trimmed to its last 4 frames")
	}
}

func TestJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, verdict(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.json.golden", buf.Bytes())
}

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff lists the lines that differ, want first.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// TestJSONRoundTrip: the JSON output decodes into an analyze.Verdict that
// encodes to the same bytes. Config keeps its key order, and null (a
// non-finite Float) decodes as NaN.
func TestJSONRoundTrip(t *testing.T) {
	v := verdict(t)
	var first bytes.Buffer
	if err := JSON(&first, v); err != nil {
		t.Fatal(err)
	}
	var back analyze.Verdict
	dec := json.NewDecoder(bytes.NewReader(first.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if err := JSON(&second, &back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Errorf("JSON does not round-trip:\n%s", lineDiff(first.String(), second.String()))
	}

	if len(back.Results) != len(v.Results) {
		t.Fatalf("%d results back, want %d", len(back.Results), len(v.Results))
	}
	sawNull := false
	for i, r := range back.Results {
		orig := v.Results[i]
		if len(r.Config) != len(orig.Config) {
			t.Errorf("result %d: config %v, want %v", i, r.Config, orig.Config)
		}
		for j := range r.Config {
			if j < len(orig.Config) && r.Config[j] != orig.Config[j] {
				t.Errorf("result %d: config %v, want %v (in order)", i, r.Config, orig.Config)
				break
			}
		}
		if r.Status != orig.Status || r.Better != orig.Better || r.Benchmark != orig.Benchmark {
			t.Errorf("result %d: %s %s %s, want %s %s %s", i, r.Benchmark, r.Status, r.Better, orig.Benchmark, orig.Status, orig.Better)
		}
		for _, pair := range [][2]*analyze.Summary{{r.Base, orig.Base}, {r.Head, orig.Head}} {
			got, want := pair[0], pair[1]
			if (got == nil) != (want == nil) {
				t.Errorf("result %d: summary %v, want %v", i, got, want)
				continue
			}
			if got == nil {
				continue
			}
			for _, f := range [][2]analyze.Float{{got.Lo, want.Lo}, {got.Hi, want.Hi}} {
				g, w := float64(f[0]), float64(f[1])
				switch {
				case math.IsInf(w, 0) || math.IsNaN(w):
					sawNull = true
					if !math.IsNaN(g) {
						t.Errorf("result %d: non-finite %v came back as %v, want NaN", i, w, g)
					}
				case g != w:
					t.Errorf("result %d: %v came back as %v", i, w, g)
				}
			}
		}
		if d, od := float64(r.Delta), float64(orig.Delta); math.IsNaN(od) != math.IsNaN(d) || (!math.IsNaN(od) && d != od) {
			t.Errorf("result %d: delta %v came back as %v", i, od, d)
		}
	}
	if !sawNull {
		t.Error("the golden input has no non-finite interval; the null case is untested")
	}
	if back.Base != v.Base || back.Head != v.Head {
		t.Errorf("sides %+v %+v, want %+v %+v", back.Base, back.Head, v.Base, v.Head)
	}
}

// TestJSONNull: a non-finite Float is null, and the JSON parses.
func TestJSONNull(t *testing.T) {
	v := &analyze.Verdict{
		Verdict: analyze.Pass,
		Alpha:   0.05,
		Results: []analyze.Result{{
			Benchmark: "BenchmarkX",
			Unit:      "allocs/op",
			Config:    analyze.Config{{Key: "pkg", Value: "p"}, {Key: "goos", Value: "linux"}},
			Base:      &analyze.Summary{Center: 0, Lo: analyze.Float(math.Inf(-1)), Hi: analyze.Float(math.Inf(1)), N: 1},
			Head:      &analyze.Summary{Center: 1, Lo: analyze.Float(math.NaN()), Hi: 1, N: 1},
			Delta:     analyze.Float(math.NaN()),
			Status:    analyze.StatusTooFewSamples,
		}},
	}
	var buf bytes.Buffer
	if err := JSON(&buf, v); err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(buf.Bytes(), &generic); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, buf.Bytes())
	}
	r := generic["results"].([]any)[0].(map[string]any)
	if r["delta"] != nil || r["base"].(map[string]any)["lo"] != nil || r["base"].(map[string]any)["hi"] != nil {
		t.Errorf("non-finite numbers are not null:\n%s", buf.Bytes())
	}
	if !strings.Contains(buf.String(), `"config": {`+"\n"+`        "pkg": "p",`) {
		t.Errorf("config is not an object in key order:\n%s", buf.Bytes())
	}
}

// failWriter accepts n bytes, then fails every write.
type failWriter struct {
	n   int
	err error
}

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	n := w.n
	w.n = 0
	return n, w.err
}

// TestWriteErrors: Text and JSON return the writer's error, wherever in
// the output it happens.
func TestWriteErrors(t *testing.T) {
	v := verdict(t)
	var full bytes.Buffer
	if err := Text(&full, v, true); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	for _, n := range []int{0, 1, 10, 100, 1000, full.Len() / 2, full.Len() - 1} {
		if err := Text(&failWriter{n: n, err: boom}, v, true); !errors.Is(err, boom) {
			t.Errorf("Text, failing after %d of %d bytes: error %v, want %v", n, full.Len(), err, boom)
		}
		if err := JSON(&failWriter{n: n, err: boom}, v); !errors.Is(err, boom) {
			t.Errorf("JSON, failing after %d bytes: error %v, want %v", n, err, boom)
		}
	}
	var page bytes.Buffer
	if err := HTML(&page, v, HTMLOptions{Flames: flames(t)}); err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := Markdown(&md, v, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 100, page.Len() / 2, page.Len() - 1} {
		if err := HTML(&failWriter{n: n, err: boom}, v, HTMLOptions{Flames: flames(t)}); !errors.Is(err, boom) {
			t.Errorf("HTML, failing after %d of %d bytes: error %v, want %v", n, page.Len(), err, boom)
		}
	}
	for _, n := range []int{0, 1, 100, md.Len() / 2, md.Len() - 1} {
		if err := Markdown(&failWriter{n: n, err: boom}, v, MarkdownOptions{}); !errors.Is(err, boom) {
			t.Errorf("Markdown, failing after %d of %d bytes: error %v, want %v", n, md.Len(), err, boom)
		}
	}
	// An empty verdict still writes its summary line.
	if err := Text(&failWriter{err: boom}, &analyze.Verdict{Verdict: analyze.Error, Error: "no go"}, false); !errors.Is(err, boom) {
		t.Errorf("Text of an error verdict: error %v, want %v", err, boom)
	}
	if err := Text(&failWriter{n: full.Len(), err: boom}, v, true); err != nil {
		t.Errorf("Text with room for all %d bytes: %v", full.Len(), err)
	}
}

// TestTextErrorVerdict: a verdict with no results (the tool failed) is one
// summary line and the error.
func TestTextErrorVerdict(t *testing.T) {
	var buf bytes.Buffer
	v := &analyze.Verdict{Verdict: analyze.Error, Alpha: 0.05, Error: "bench: build failed", Results: []analyze.Result{}}
	if err := Text(&buf, v, false); err != nil {
		t.Fatal(err)
	}
	want := "ERROR\nerror: bench: build failed\n"
	if buf.String() != want {
		t.Errorf("Text =\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestPercent(t *testing.T) {
	for f, want := range map[float64]string{
		0:      "0%",
		0.05:   "5%",
		0.005:  "0.5%",
		0.1:    "10%",
		0.125:  "12.5%",
		0.1234: "12.34%",
		1:      "100%",
		2.5:    "250%",
		10:     "1000%",
	} {
		if got := Percent(f); got != want {
			t.Errorf("Percent(%v) = %q, want %q", f, got, want)
		}
	}
}

// TestEmptyVerdicts: every format renders a verdict with no results, of
// each outcome, and says what it is.
func TestEmptyVerdicts(t *testing.T) {
	for _, v := range []*analyze.Verdict{
		{},
		{Verdict: analyze.Error, Error: "bench: build failed"},
		{Verdict: analyze.Pass, Results: []analyze.Result{}},
		{Verdict: analyze.Inconclusive, Notes: []string{"a note"}},
		{Verdict: analyze.Regression, Results: []analyze.Result{{Benchmark: "BenchmarkX", Unit: "sec/op", Status: analyze.StatusRegression,
			Base: &analyze.Summary{Center: 1}, Head: &analyze.Summary{Center: 2}, Delta: 1}}},
	} {
		word := verdictWord(v)
		var text, md, page bytes.Buffer
		if err := Text(&text, v, false); err != nil {
			t.Fatal(err)
		}
		if err := Markdown(&md, v, MarkdownOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := HTML(&page, v, HTMLOptions{}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(text.String(), word) {
			t.Errorf("%q: text starts %q", v.Verdict, text.String())
		}
		if !strings.HasPrefix(md.String(), DefaultMarker+"\n## ") || !strings.Contains(md.String(), strings.ToLower(word)) {
			t.Errorf("%q: Markdown %q", v.Verdict, md.String())
		}
		if !strings.Contains(page.String(), "<span>"+word+"</span>") {
			t.Errorf("%q: the page does not say %s", v.Verdict, word)
		}
		if v.Error != "" && !(strings.Contains(text.String(), v.Error) && strings.Contains(md.String(), v.Error) && strings.Contains(page.String(), v.Error)) {
			t.Errorf("%q: the error is not in every format", v.Verdict)
		}
	}
}

// explainedVerdict is the shared input of the explanation goldens
// (testdata/explained.*.golden): analyze.Compare of
// testdata/explained-base.txt against testdata/explained-head.txt (a
// benchmark whose B/op and allocs/op regressed, and a load scenario whose
// latency and throughput regressed, with pricing's CPU time from a base of
// zero; see testdata/README.md), with explanations attached by hand as
// the gate would attach them: one of the scenario's response time and
// throughput (on-CPU and off-CPU time of its three services, split by
// service and kind), one of pricing's CPU time, and one of the
// benchmark's memory whose samples support no ranking. Each regressed
// result carries its explanation's Hot and Profiles, as in a verdict.
func explainedVerdict(t testing.TB) *analyze.Verdict {
	t.Helper()
	var sides [2]*analyze.Results
	for i, side := range []string{"base", "head"} {
		f, err := os.Open(filepath.Join("testdata", "explained-"+side+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		sides[i], err = analyze.ReadResults(f, side+".txt", side)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	v, err := analyze.Compare(sides[0], sides[1], analyze.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	v.Base = analyze.Side{Ref: "main", Commit: strings.Repeat("1", 40)}
	v.Head = analyze.Side{Ref: "HEAD", Commit: strings.Repeat("2", 40), Dirty: true}

	const (
		cart    = "BenchmarkLoad/scenario=checkout/service=cart"
		pricing = "BenchmarkLoad/scenario=checkout/service=pricing"
		parse   = "BenchmarkParse-8"
	)
	serve := []string{"net/http.(*conn).serve", "net/http.serverHandler.ServeHTTP", "net/http.(*ServeMux).ServeHTTP",
		"net/http.HandlerFunc.ServeHTTP", "example.com/shop/cart.(*Server).checkout"}
	path := func(frames ...string) []string { return append(slices.Clone(serve), frames...) }
	scenario := analyze.Explanation{
		Benchmark:   analyze.LoadName{Scenario: "checkout"}.String(),
		SampleType:  "delay",
		BaseSamples: 1234, HeadSamples: 4021,
		BaseWork: 1800, HeadWork: 1584,
		Split: []analyze.Split{
			{Service: "cart", Kind: "on-cpu", Base: 1.10e6, Head: 1.35e6, Unit: "ns/op"},
			{Service: "cart", Kind: "network", Base: 1.60e6, Head: 8.90e6, Unit: "ns/op"},
			{Service: "cart", Kind: "sync", Base: 0.30e6, Head: 0.95e6, Unit: "ns/op"},
			{Service: "cart", Kind: "scheduling", Base: 0.10e6, Head: 0.12e6, Unit: "ns/op"},
			{Service: "inventory", Kind: "on-cpu", Base: 40e3, Head: 41e3, Unit: "ns/op"},
			{Service: "inventory", Kind: "network", Base: 20e3, Head: 20e3, Unit: "ns/op"},
			{Service: "pricing", Kind: "on-cpu", Base: 0, Head: 60e3, Unit: "ns/op"},
			{Service: "pricing", Kind: "sync", Base: 0, Head: 0.40e6, Unit: "ns/op"},
		},
		Hot: []analyze.Hot{
			{Function: "net/http.(*persistConn).roundTrip", Service: "cart", Kind: "network", BaseSamples: 160, HeadSamples: 1890, P: 1e-9,
				Base: 0.35e6, Head: 4.60e6, BaseCum: 0.35e6, HeadCum: 4.60e6, Share: 0.56, Unit: "ns/op",
				Path: path("example.com/shop/cart.(*Server).quote", "net/http.(*Client).Do", "net/http.(*persistConn).roundTrip")},
			{Function: "sync.(*Mutex).Lock", Service: "cart", Kind: "sync", BaseSamples: 22, HeadSamples: 290, P: 2e-6,
				Base: 0.05e6, Head: 0.70e6, BaseCum: 0.05e6, HeadCum: 0.70e6, Share: 0.086, Unit: "ns/op",
				Path: path("example.com/shop/cart.(*priceCache).get", "sync.(*Mutex).Lock")},
			{Function: "encoding/json.Marshal", Service: "cart", Kind: "on-cpu", BaseSamples: 52, HeadSamples: 103, P: 0.004,
				Base: 120e3, Head: 240e3, BaseCum: 180e3, HeadCum: 330e3, Share: 0.016, Unit: "ns/op"},
			{Function: "example.com/shop/pricing.Quote", Service: "pricing", Kind: "on-cpu", BaseSamples: 0, HeadSamples: 31, P: 0.02,
				Base: 0, Head: 55e3, BaseCum: 0, HeadCum: 60e3, Share: 0.007, Unit: "ns/op"},
		},
	}
	for _, svc := range []string{"cart.on-cpu", "cart.network", "cart.sync", "pricing.on-cpu", "pricing.sync"} {
		stem := "diffs/BenchmarkLoad_scenario=checkout.sec_op." + svc
		scenario.Profiles = append(scenario.Profiles, stem+".diff.pb.gz", stem+".folded")
	}
	cpu := analyze.Explanation{
		Benchmark: pricing, SampleType: "cpu",
		BaseSamples: 0, HeadSamples: 36, BaseWork: 1800, HeadWork: 1584,
		Hot: []analyze.Hot{
			{Function: "example.com/shop/pricing.Quote", Service: "pricing", HeadSamples: 23, P: 0.0004,
				Base: 0, Head: 41e3, HeadCum: 60e3, Share: 0.68, Unit: "ns/op",
				Path: []string{"net/http.(*conn).serve", "net/http.HandlerFunc.ServeHTTP", "example.com/shop/pricing.(*Server).quote", "example.com/shop/pricing.Quote"}},
			{Function: "encoding/json.(*decodeState).object", Service: "pricing", HeadSamples: 11, P: 0.03,
				Base: 0, Head: 19e3, HeadCum: 19e3, Share: 0.32, Unit: "ns/op"},
		},
		Profiles: []string{"diffs/BenchmarkLoad_scenario=checkout_service=pricing.cpu-sec_op.pricing.diff.pb.gz",
			"diffs/BenchmarkLoad_scenario=checkout_service=pricing.cpu-sec_op.pricing.folded"},
	}
	memory := analyze.Explanation{
		Benchmark: parse, SampleType: "alloc_space",
		BaseSamples: 9, HeadSamples: 14, BaseWork: 800000, HeadWork: 800000,
		Hot:   []analyze.Hot{},
		Notes: []string{"14 sampled allocations on the head side, short of the 100 a ranking needs: profile longer (bench.profile_benchtime)"},
	}
	for i := range v.Results {
		r := &v.Results[i]
		if !r.Regression {
			continue
		}
		var e *analyze.Explanation
		switch {
		case r.Benchmark == cart && !resourceUnits[r.Unit]:
			e = &scenario
		case r.Benchmark == pricing && r.Unit == "cpu-sec/op":
			e = &cpu
		case r.Benchmark == parse:
			e = &memory
		default:
			t.Fatalf("no explanation for the regression of %s %s", r.Benchmark, r.Unit)
		}
		e.Units = append(e.Units, r.Unit)
	}
	v.Explanations = []analyze.Explanation{memory, scenario, cpu}
	for i := range v.Results {
		r := &v.Results[i]
		for _, e := range v.Explanations {
			if r.Regression && slices.Contains(e.Units, r.Unit) && (e.Benchmark == r.Benchmark || e.Benchmark == scenario.Benchmark && r.Benchmark == cart) {
				r.Hot, r.Profiles = e.Hot, e.Profiles
			}
		}
	}
	v.Notes = append(v.Notes, "checkout: 2 of 6 head rounds left out: the load driver could not keep up; they ran again")
	return v
}

// explainedFlames are the flame graphs of explainedVerdict's explanations,
// keyed as HTMLOptions.Flames says: hand-made folded stacks (see
// testdata/README.md).
func explainedFlames(t testing.TB) map[string][]byte {
	t.Helper()
	m := make(map[string][]byte)
	for key, file := range map[string]string{
		"BenchmarkLoad/scenario=checkout sec/op":                     "explained-checkout.folded",
		"BenchmarkLoad/scenario=checkout/service=pricing cpu-sec/op": "explained-pricing.folded",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		m[key] = b
	}
	return m
}

// TestExplainedGoldens renders explainedVerdict in every format.
func TestExplainedGoldens(t *testing.T) {
	for _, tt := range []struct {
		golden string
		render func(w io.Writer, v *analyze.Verdict) error
	}{
		{"explained.text.golden", func(w io.Writer, v *analyze.Verdict) error { return Text(w, v, false) }},
		{"explained.color.golden", func(w io.Writer, v *analyze.Verdict) error { return Text(w, v, true) }},
		{"explained.markdown.golden", func(w io.Writer, v *analyze.Verdict) error {
			return Markdown(w, v, MarkdownOptions{CommitURL: commitURL})
		}},
		{"explained.html.golden", func(w io.Writer, v *analyze.Verdict) error {
			return HTML(w, v, HTMLOptions{Flames: explainedFlames(t)})
		}},
		{"explained.json.golden", JSON},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.render(&buf, explainedVerdict(t)); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, buf.Bytes())
			if strings.HasSuffix(tt.golden, ".markdown.golden") {
				checkMarkdownTables(t, buf.String())
			}
		})
	}
}
