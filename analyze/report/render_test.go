package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/perfgate/perfgate/analyze"
)

// oddVerdicts are verdicts that decode (a verdict.json is untrusted: a
// pull request's run may have written it) but that no gate would make:
// results whose status needs both sides with a side missing, a null
// delta, empty names, negative and huge counts, values that strain a
// chart's axis, hot functions with no name or path, outcomes that are
// workflow commands. Every format must render them.
var oddVerdicts = []struct{ name, json string }{
	{"regression without base", `{"verdict":"regression","alpha":0.05,"results":[{"benchmark":"BenchmarkX","unit":"sec/op",
		"base":null,"head":{"center":2,"lo":1,"hi":3,"n":3,"values":[1,2,3]},"delta":null,"threshold":0.05,"regression":true,"status":"regression"}]}`},
	{"regression without head", `{"verdict":"regression","results":[{"benchmark":"BenchmarkX","unit":"sec/op",
		"base":{"center":2,"lo":1,"hi":3,"n":3,"values":[1,2,3]},"head":null,"delta":0.5,"p":0.01,"threshold":0.05,"status":"regression"}]}`},
	{"regression without sides", `{"verdict":"regression","results":[{"benchmark":"BenchmarkX","unit":"sec/op","delta":null,"status":"regression",
		"hot":[{"function":"","unit":"ns/op","base":1,"head":2,"share":1},{"function":"f","unit":"","path":[]},{"function":"g","unit":"x/","path":["",""]}]}]}`},
	{"other statuses without sides", `{"verdict":"pass","results":[
		{"benchmark":"BenchmarkA","unit":"sec/op","base":null,"head":{"center":1,"n":1},"status":"improvement"},
		{"benchmark":"BenchmarkB","unit":"sec/op","base":{"center":1,"n":1},"head":null,"status":"within-threshold"},
		{"benchmark":"BenchmarkC","unit":"sec/op","status":"changed"},
		{"benchmark":"BenchmarkD","unit":"sec/op","status":"inconclusive","head":{"center":1,"n":1}},
		{"benchmark":"BenchmarkE","unit":"sec/op","status":"base-only","head":{"center":1,"n":1}},
		{"benchmark":"BenchmarkF","unit":"sec/op","status":"head-only","base":{"center":1,"n":1}},
		{"benchmark":"BenchmarkG","unit":"sec/op","status":"no such status","base":{"center":1,"n":1},"head":{"center":1,"n":1}}]}`},
	{"empty names", `{"verdict":"","results":[{"benchmark":"","unit":"","config":{"":"","pkg":""},"status":"regression","base":{"center":0,"n":0},"head":{"center":0,"n":0}},
		{"benchmark":"","unit":"","config":{"":"x"},"status":"unchanged"}],"notes":[""],"error":""}`},
	{"negative and huge counts", `{"verdict":"inconclusive","looks":-3,"results":[{"benchmark":"BenchmarkX","unit":"B/op",
		"base":{"center":1,"n":-5},"head":{"center":2,"n":9223372036854775807},"delta":1,"status":"regression"},
		{"benchmark":"BenchmarkX","unit":"allocs/op","base":{"center":-1e308,"lo":-1.7976931348623157e308,"hi":1.7976931348623157e308,"n":-1},
		"head":{"center":1e308,"n":0},"delta":-1e308,"p":-1,"threshold":-1e308,"status":"improvement"}]}`},
	{"values that strain an axis", `{"verdict":"regression","results":[
		{"benchmark":"BenchmarkX","unit":"sec/op","base":{"center":1e300,"n":2,"values":[1e300,1.0000000000000002e300]},"head":{"center":1e300,"n":1,"values":[1e300]},"status":"regression"},
		{"benchmark":"BenchmarkY","unit":"sec/op","base":{"center":0,"n":2,"values":[-1.7976931348623157e308,1.7976931348623157e308]},"head":{"center":0,"n":1,"values":[5e-324]},"status":"regression"},
		{"benchmark":"BenchmarkZ","unit":"B/op","base":{"center":0,"n":1,"values":[-1.7976931348623157e308]},"head":{"center":0,"n":1,"values":[-1.7976931348623157e308]},"status":"unchanged"},
		{"benchmark":"BenchmarkLoad/scenario=s/service=","unit":"p99-sec","base":{"center":1e300,"lo":-1.7976931348623157e308,"hi":1.7976931348623157e308,"n":1},
		"head":{"center":1.0000000000000002e300,"hi":1.0000000000000002e300,"n":1},"status":"regression"},
		{"benchmark":"BenchmarkLoad/scenario=s/service=","unit":"p50-sec","base":{"center":-1.7976931348623157e308,"n":1},"head":{"center":1.7976931348623157e308,"n":1},"status":"unchanged"}]}`},
	{"hot functions with extremes", `{"verdict":"regression","results":[{"benchmark":"BenchmarkX","unit":"sec/op","base":{"center":1,"n":1},"head":{"center":2,"n":1},"delta":1,"status":"regression",
		"hot":[{"function":"f","base":-1.7976931348623157e308,"head":1.7976931348623157e308,"base_cum":-1e308,"head_cum":1e308,"share":1e308,"unit":"bytes/op","path":["a"]},
		{"function":"g","share":-1e308,"unit":"nanoseconds/op"}]}]}`},
	{"explanations with empty and extreme fields", `{"verdict":"regression","results":[
		{"benchmark":"BenchmarkX","unit":"sec/op","status":"regression"},
		{"benchmark":"BenchmarkLoad/scenario=s/service=a","unit":"p99-sec","status":"regression","delta":null},
		{"benchmark":"BenchmarkLoad/scenario=s/service=a","unit":"cpu-sec/op","status":"regression","base":{"center":0,"n":1},"head":{"center":1,"n":1},"delta":null}],
		"explanations":[{},
		{"benchmark":"BenchmarkX","units":["sec/op","sec/op",""],"hot":null,"split":[{},{"service":"a","kind":"on-cpu","base":-1e308,"head":1e308,"unit":""}],"notes":[""],"profiles":[""]},
		{"benchmark":"BenchmarkLoad/scenario=s","units":["p99-sec"],"sample_type":"","base_samples":-9223372036854775808,"head_samples":9223372036854775807,
		"base_work":-1e308,"head_work":1.5,"split":[{"base":1,"head":-1.7976931348623157e308,"unit":"ns/op"}],
		"hot":[{},{"function":"f","kind":"x","base_samples":-1,"head_samples":-2,"share":-1,"unit":"","path":[""]}]},
		{"benchmark":"BenchmarkLoad/scenario=s/service=a","units":["cpu-sec/op"],"sample_type":"cpu","base_work":1e300,"head_work":5e-324,"hot":[]},
		{"benchmark":"BenchmarkGone","units":null}]}`},
	{"explanations without results", `{"verdict":"pass","explanations":[{"benchmark":"B","units":["sec/op"],"hot":[{"function":"f","path":["g","f"]}]},{"hot":[]}]}`},
	{"an outcome that is a command", `{"verdict":"::error::x","results":[]}`},
	{"an outcome in the legacy syntax", `{"verdict":"##[error]x","base":{"ref":"::x","commit":"##[add-mask]y"}}`},
	{"nothing", `{}`},
	{"null", `null`},
	{"many results", `{"verdict":"regression","results":[` + strings.TrimSuffix(strings.Repeat(
		`{"benchmark":"BenchmarkX","unit":"sec/op","config":{"pkg":"p"},"base":{"center":1,"n":1},"head":{"center":2,"n":1},"delta":1,"status":"regression","hot":[{"function":"f","unit":"ns/op","path":["f"]}]},`+
			`{"benchmark":"BenchmarkY","unit":"sec/op","config":{"pkg":"q"},"status":"unchanged"},`, 5000), ",") + `]}`},
}

// TestRenderOddVerdicts renders each of oddVerdicts in every format.
func TestRenderOddVerdicts(t *testing.T) {
	for _, tt := range oddVerdicts {
		t.Run(tt.name, func(t *testing.T) {
			var v analyze.Verdict
			if err := json.Unmarshal([]byte(tt.json), &v); err != nil {
				t.Fatal(err)
			}
			checkRender(t, &v)
		})
	}
}

// FuzzRenderVerdict decodes arbitrary JSON as a verdict, as perfgate
// report reads a run's verdict.json, and renders what decodes in every
// format. None may panic or hang, and checkRender's properties hold: the
// output of every format has no control character but line breaks and
// tabs, no bidi control, and no line that the GitHub runner reads as a
// workflow command; the colored text has no escape but its own, and is
// the plain text without them; Markdown keeps to its size.
//
// The seeds are the golden inputs (testdata/compare.json.golden and
// testdata/explained.json.golden, cut short), oddVerdicts and
// hostileVerdict. testdata/fuzz/FuzzRenderVerdict
// holds the inputs fuzzing found bugs with, now fixed, which run as seeds
// with every go test: 0fd71f0577823d44, a regression with no sides
// (the text report dereferenced its nil base), and fca23161b59f55d7, a
// status of DEL (which reached the page raw, as a CSS class).
func FuzzRenderVerdict(f *testing.F) {
	// The golden input, cut to a result of each status and those with hot
	// functions: a fuzzer mutates (and minimizes) a short input faster.
	golden, err := os.ReadFile(filepath.Join("testdata", "compare.json.golden"))
	if err != nil {
		f.Fatal(err)
	}
	var v analyze.Verdict
	if err := json.Unmarshal(golden, &v); err != nil {
		f.Fatal(err)
	}
	seen := make(map[analyze.Status]bool)
	results := v.Results
	v.Results = nil
	for _, r := range results {
		if !seen[r.Status] || len(r.Hot) > 0 {
			seen[r.Status] = true
			v.Results = append(v.Results, r)
		}
	}
	short, err := json.Marshal(&v)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(short)
	// The explanations' golden input, cut likewise: its regressions, the
	// first of its other results, all its explanations.
	explained, err := os.ReadFile(filepath.Join("testdata", "explained.json.golden"))
	if err != nil {
		f.Fatal(err)
	}
	v = analyze.Verdict{}
	if err := json.Unmarshal(explained, &v); err != nil {
		f.Fatal(err)
	}
	results = v.Results
	v.Results = nil
	for i, r := range results {
		if i == 0 || r.Regression {
			r.Hot = nil // the explanation's copy
			v.Results = append(v.Results, r)
		}
	}
	short, err = json.Marshal(&v)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(short)
	for _, tt := range oddVerdicts {
		if len(tt.json) < 4096 {
			f.Add([]byte(tt.json))
		}
	}
	hostile, err := json.Marshal(hostileVerdict())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(hostile)
	f.Fuzz(func(t *testing.T, data []byte) {
		var v analyze.Verdict
		if err := json.Unmarshal(data, &v); err != nil {
			return
		}
		checkRender(t, &v)
	})
}

// checkRender renders v in every format and checks what each promises of
// any input.
func checkRender(t *testing.T, v *analyze.Verdict) {
	t.Helper()
	var plain, color bytes.Buffer
	if err := Text(&plain, v, false); err != nil {
		t.Fatal(err)
	}
	checkTerminal(t, "text", plain.String())
	if err := Text(&color, v, true); err != nil {
		t.Fatal(err)
	}
	own := ownEscapes.ReplaceAllString(color.String(), "")
	if strings.Contains(own, "\x1b") {
		t.Errorf("colored text has an escape of no color of its own:\n%q", color.String())
	}
	if own != plain.String() {
		t.Errorf("colored text without its escapes differs from the plain text:\n%s", lineDiff(plain.String(), own))
	}

	for _, limit := range []int{0, 2000} {
		var md bytes.Buffer
		if err := Markdown(&md, v, MarkdownOptions{MaxBytes: limit, CommitURL: commitURL}); err != nil {
			t.Fatal(err)
		}
		if limit > 0 && md.Len() > limit {
			t.Errorf("Markdown of %d bytes, over its limit of %d", md.Len(), limit)
		}
		checkTerminal(t, "Markdown", md.String())
	}

	var page bytes.Buffer
	if err := HTML(&page, v, HTMLOptions{Flames: map[string][]byte{"x": []byte("a;b 1\n")}}); err != nil {
		t.Fatal(err)
	}
	checkTerminal(t, "HTML", page.String())

	if err := JSON(&bytes.Buffer{}, v); err != nil {
		t.Fatal(err)
	}
}

// ownEscapes are the escapes of the colored text report.
var ownEscapes = regexp.MustCompile(`\x1b\[(0|1|31|32|33)m`)

// checkTerminal checks text for a terminal and a CI log: checkControls,
// and no line that GitHub's runner reads as a workflow command: one that
// begins "::" after white space, or that holds "##[" anywhere (the legacy
// syntax).
func checkTerminal(t *testing.T, what, out string) {
	t.Helper()
	checkControls(t, what, out)
	for i, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
			t.Errorf("%s: line %d is a workflow command: %q", what, i+1, line)
		}
	}
}

// checkControls checks that out is UTF-8 with no control character but
// line breaks and tabs (no ESC, BEL, CR, DEL, C1) and no bidi control.
func checkControls(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		if r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD") {
			t.Errorf("%s: a byte that is not UTF-8 at %d: %q", what, i, around(out, i))
			return
		}
		if unicode.IsControl(r) && r != '\n' && r != '\t' || unicode.Is(unicode.Bidi_Control, r) {
			t.Errorf("%s: %U at %d: %q", what, r, i, around(out, i))
			return
		}
	}
}

// around is the text around out[i], for a message.
func around(out string, i int) string {
	return out[max(0, i-40):min(len(out), i+40)]
}

// hostileVerdict has, in every field that the text report prints,
// something a terminal or the GitHub runner would act on: escape
// sequences, BEL, CR, line breaks, bidi overrides, C1 controls, bytes
// that are not UTF-8, and workflow commands in both syntaxes, at the
// beginning of lines and after white space.
func hostileVerdict() *analyze.Verdict {
	sides := func(c float64) *analyze.Summary {
		return &analyze.Summary{Center: c, Lo: analyze.Float(c * 0.9), Hi: analyze.Float(c * 1.1), N: 3, Values: []float64{c * 0.9, c, c * 1.1}}
	}
	return &analyze.Verdict{
		Verdict: analyze.Regression, Alpha: 0.05,
		Base:  analyze.Side{Ref: "main\x1b[8m", Commit: "::stop-commands::x"},
		Head:  analyze.Side{Ref: "##[add-mask]head"},
		Error: "build failed:\n::error::pwned\a",
		Results: []analyze.Result{
			{
				Benchmark: "::set-output name=a::b", Unit: "sec/op\x1b[2J",
				Config: analyze.Config{{Key: ":", Value: "x"}, {Key: "pkg", Value: "p\n::warning::q"}},
				Base:   sides(1), Head: sides(2), Delta: 1, P: 0.01, Threshold: 0.05, Status: analyze.StatusRegression, Regression: true,
				Hot: []analyze.Hot{{Function: "\x1b]0;pwned\a", Service: "svc\u202e", Base: 1, Head: 2, Share: 1, Unit: "ns/\x1b[31m",
					Path: []string{"main.main", "  ::add-mask::p", "\xff\x9b"}}},
				Warnings: []string{"::notice::w\r"},
			},
			{
				Benchmark: "  ::endgroup::", Unit: "sec/op\x1b[2J",
				Config: analyze.Config{{Key: ":", Value: "y"}, {Key: "pkg", Value: "p\n::warning::q"}},
				Base:   sides(1), Head: sides(1), Status: analyze.StatusUnchanged,
			},
			{
				Benchmark: "Benchmark\u009b31m\u2066x", Unit: "::x",
				Config: analyze.Config{{Key: "::k", Value: "##[v]"}},
				Base:   sides(1), Head: sides(0.5), Delta: -0.5, P: 0.01, Threshold: 0.05, Status: analyze.StatusImprovement,
			},
			{
				Benchmark: analyze.LoadName{Scenario: "::s\x1b[1m", Service: "svc\u202e"}.String(), Unit: "p99-sec\a",
				Base: sides(1), Head: sides(3), Delta: 2, P: 0.01, Threshold: 0.1, Status: analyze.StatusRegression, Regression: true,
			},
			{
				Benchmark: "##[group]B", Unit: "::B/op",
				Base: sides(1), Head: sides(3), Delta: 2, P: 0.01, Threshold: 0.1, Status: analyze.StatusRegression, Regression: true,
			},
		},
		Explanations: []analyze.Explanation{
			{
				Benchmark: analyze.LoadName{Scenario: "::s\x1b[1m"}.String(), Units: []string{"p99-sec\a", "::u"},
				SampleType: "delay\x1b[2J", BaseSamples: 10, HeadSamples: 20, BaseWork: 5, HeadWork: 5,
				Split: []analyze.Split{{Service: "::svc", Kind: "##[kind]", Base: 1, Head: 2, Unit: "ns/\x1b[31m"}},
				Hot: []analyze.Hot{{Function: "::fn\u202e", Kind: "\r::k", Service: "\x1b[8m", Base: 1, Head: 2, Share: 1, Unit: "ns/\a",
					BaseSamples: 1, HeadSamples: 2, Path: []string{"main.main", "  ::add-mask::q", "\x9b"}}},
				Notes:    []string{"::error::note\n##[x]"},
				Profiles: []string{"::prof\x1b"},
			},
			{Benchmark: "##[group]B", Units: []string{"::B/op"}, SampleType: "::alloc", Hot: []analyze.Hot{}, Notes: []string{"\x1b[2Jwiped"}},
		},
		Notes: []string{"::group::n", "a\n##[error]b", "\t::x"},
	}
}
