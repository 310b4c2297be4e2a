package report

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
)

// reg is a regressed result of benchmark in unit, delta (NaN-free) over a
// threshold of 5%.
func reg(benchmark, unit string, delta float64) analyze.Result {
	return analyze.Result{Benchmark: benchmark, Unit: unit, Status: analyze.StatusRegression, Regression: true,
		Base: &analyze.Summary{Center: 1, N: 6}, Head: &analyze.Summary{Center: 1 + delta, N: 6},
		Delta: analyze.Float(delta), P: 0.002, Threshold: 0.05}
}

const (
	cartLine    = "BenchmarkLoad/scenario=checkout/service=cart"
	pricingLine = "BenchmarkLoad/scenario=checkout/service=pricing"
	checkout    = "BenchmarkLoad/scenario=checkout"
)

func TestExplained(t *testing.T) {
	unchanged := reg(cartLine, "errors/op", 0)
	unchanged.Status, unchanged.Regression = analyze.StatusUnchanged, false
	results := []analyze.Result{
		reg(cartLine, "sec/op", 2),                                    // 0: the scenario's
		reg(cartLine, "cpu-sec/op", 0.5),                              // 1: cart's own
		reg(pricingLine, "sec/op", 0.5),                               // 2: the scenario's, by its name alone
		reg("BenchmarkX-8", "sec/op", 1),                              // 3: exact
		reg("BenchmarkX-8", "B/op", 1),                                // 4: none lists B/op
		unchanged,                                                     // 5: not regressed
		reg("BenchmarkY-8", "sec/op", 1),                              // 6: the first of two
		reg(checkout, "p99-sec", 1),                                   // 7: perfgate load's line, exact
		reg("BenchmarkLoad/scenario=other/service=cart", "sec/op", 1), // 8: another scenario
	}
	for _, tt := range []struct {
		name         string
		explanations []analyze.Explanation
		want         []int
	}{
		{"none", nil, []int{-1, -1, -1, -1, -1, -1, -1, -1, -1}},
		{"all kinds", []analyze.Explanation{
			{Benchmark: checkout, Units: []string{"sec/op", "errors/op", "p99-sec"}},
			{Benchmark: cartLine, Units: []string{"cpu-sec/op"}},
			{Benchmark: "BenchmarkX-8", Units: []string{"sec/op"}},
			{Benchmark: "BenchmarkY-8", Units: []string{"sec/op"}},
			{Benchmark: "BenchmarkY-8", Units: []string{"sec/op"}},
		}, []int{0, 1, 0, 2, -1, -1, 3, 0, -1}},
		{"exact before scenario", []analyze.Explanation{
			{Benchmark: checkout, Units: []string{"sec/op"}},
			{Benchmark: cartLine, Units: []string{"sec/op"}},
		}, []int{1, -1, 0, -1, -1, -1, -1, -1, -1}},
		{"empty fields", []analyze.Explanation{{}, {Benchmark: "BenchmarkX-8"}, {Units: []string{"sec/op"}}}, []int{-1, -1, -1, -1, -1, -1, -1, -1, -1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := &analyze.Verdict{Results: results, Explanations: tt.explanations}
			if got := v.Explained(); !slices.Equal(got, tt.want) {
				t.Errorf("Explained = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRegressionOrder(t *testing.T) {
	unchanged := reg("BenchmarkZ-8", "sec/op", 9)
	unchanged.Status = analyze.StatusUnchanged
	fromZero := reg(pricingLine, "cpu-sec/op", 0)
	fromZero.Delta = analyze.Float(nanFloat())
	withConfig := func(r analyze.Result, pkg string) analyze.Result {
		r.Config = analyze.Config{{Key: "pkg", Value: pkg}}
		return r
	}
	for _, tt := range []struct {
		name    string
		results []analyze.Result
		want    []int
	}{
		{"a service's CPU from zero after the scenario's latency", []analyze.Result{
			fromZero,                         // 0
			reg(cartLine, "sec/op", 2),       // 1
			reg(cartLine, "peak-rss-B", 3),   // 2
			reg(cartLine, "p99-sec", 1),      // 3
			reg("BenchmarkX-8", "sec/op", 5), // 4
		}, []int{1, 3, 0, 2, 4}},
		{"subjects worst first, the verdict's order within", []analyze.Result{
			reg("BenchmarkX-8", "sec/op", 0.1),  // 0
			reg("BenchmarkY-8", "sec/op", 0.2),  // 1
			reg("BenchmarkX-8", "allocs/op", 1), // 2
			unchanged,                           // 3
			reg("BenchmarkY-8", "B/op", 0.3),    // 4
		}, []int{0, 2, 1, 4}},
		{"configurations apart", []analyze.Result{
			withConfig(reg("BenchmarkX-8", "sec/op", 0.1), "a"), // 0
			withConfig(reg("BenchmarkX-8", "sec/op", 0.2), "b"), // 1
			withConfig(reg("BenchmarkX-8", "B/op", 0.3), "a"),   // 2
		}, []int{0, 2, 1}},
		{"ties in the verdict's order", []analyze.Result{
			reg("BenchmarkB-8", "sec/op", 0.1), reg("BenchmarkA-8", "sec/op", 0.1),
		}, []int{0, 1}},
		{"none", []analyze.Result{unchanged}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := regressionOrder(&analyze.Verdict{Results: tt.results}); !slices.Equal(got, tt.want) {
				t.Errorf("regressionOrder = %v, want %v", got, tt.want)
			}
		})
	}
}

func nanFloat() float64 {
	var zero float64
	return zero / zero
}

// TestExplanationsOnce: every format shows each explanation of the
// fixture once, after the regressions it explains, and no copy of its
// hot list under a result.
func TestExplanationsOnce(t *testing.T) {
	v := explainedVerdict(t)
	var text, md, page bytes.Buffer
	if err := Text(&text, v, false); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, v, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&page, v, HTMLOptions{Flames: explainedFlames(t)}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		format, out string
		counts      map[string]int
	}{
		{"text", text.String(), map[string]int{
			"  scenario checkout: sec/op +259.37%, p50-sec +260.00%, p90-sec +233.33%, p99-sec +200.00%, max-sec +100.00%, req/s -12.00% regressed\n": 1,
			"  scenario checkout, service pricing: cpu-sec/op from 0 regressed\n":                                                                     1,
			"  BenchmarkParse-8: B/op +75.00%, allocs/op +50.00% regressed\n":                                                                         1,
			"net/http.(*persistConn).roundTrip\n":                                                                                                     2, // its row, and the path's last frame
			"      path: ":                                                                                                                            2,
			"      1,234 base and 4,021 head CPU samples and blocking events, over 1,800 and 1,584 requests\n":                                        1,
			"        cart        network      1.600ms/op   8.900ms/op   +7.300ms/op (+456%)\n":                                                        1,
			"      the samples (9 base, 14 head) support no ranking: no function grew beyond sampling noise\n":                                        1,
			"      note: 14 sampled allocations on the head side":                                                                                     1,
		}},
		{"Markdown", md.String(), map[string]int{
			"<details><summary>scenario checkout: ":                                                     1,
			"<details><summary>scenario checkout, service pricing: ":                                    1,
			"<details><summary>BenchmarkParse-8: ":                                                      1,
			"| <code>net/http.(\\*persistConn).roundTrip</code> | network | cart | +4.250ms/op | 56% |": 1,
			"in cart (56%)":    1,
			"as above":         5,
			"Hot functions of": 0,
			"The samples (9 base, 14 head) support no ranking": 1,
		}},
		{"HTML", page.String(), map[string]int{
			`<section class="detail explanation wide" id="explanation-`: 3,
			`<code>net/http.(*persistConn).roundTrip</code></td>`:       1,
			`<svg class="flame" id="flame-explanation-2"`:               1,
			`<svg class="flame" id="flame-explanation-3"`:               1,
			`<svg class="flame"`:                      2,
			"Other flame graphs":                      0,
			"as above":                                5,
			"support no ranking":                      1,
			"14 sampled allocations on the head side": 1,
		}},
	} {
		for want, n := range tt.counts {
			if got := strings.Count(tt.out, want); got != n {
				t.Errorf("%s: %d times %q, want %d", tt.format, got, want, n)
			}
		}
	}
	// Each explanation comes after the last regression it explains, and
	// before the next.
	lines := strings.Split(text.String(), "\n")
	at := func(prefix string) int {
		return slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
	}
	for _, tt := range []struct{ before, explanation, after string }{
		{"  regressed: " + cartLine + " req/s", "  scenario checkout: ", "  regressed: " + pricingLine + " cpu-sec/op"},
		{"  regressed: " + pricingLine + " cpu-sec/op", "  scenario checkout, service pricing: ", "  regressed: BenchmarkParse-8 B/op"},
		{"  regressed: BenchmarkParse-8 allocs/op", "  BenchmarkParse-8: ", "goos: "},
	} {
		if b, e, a := at(tt.before), at(tt.explanation), at(tt.after); !(0 <= b && b < e && e < a) {
			t.Errorf("%q at line %d, %q at %d, %q at %d: want them in this order", tt.before, b, tt.explanation, e, tt.after, a)
		}
	}
}

// TestMixedExplanations: a regression that no explanation explains keeps
// its own hot functions in every format, beside one that an explanation
// explains, whose own copy is not shown; an explanation of no listed
// regression is still shown.
func TestMixedExplanations(t *testing.T) {
	own := reg("BenchmarkOwn-8", "sec/op", 1)
	own.Hot = []analyze.Hot{{Function: "pkg.ownHot", Base: 1, Head: 2, Share: 1, Unit: "ns/op", Path: []string{"main", "pkg.ownHot"}}}
	explained := reg("BenchmarkExplained-8", "sec/op", 2)
	explained.Hot = []analyze.Hot{{Function: "pkg.copiedHot", Base: 1, Head: 2, Share: 1, Unit: "ns/op"}}
	v := &analyze.Verdict{Verdict: analyze.Regression, Alpha: 0.05,
		Results: []analyze.Result{own, explained},
		Explanations: []analyze.Explanation{
			{Benchmark: "BenchmarkExplained-8", Units: []string{"sec/op"}, SampleType: "cpu", BaseSamples: 500, HeadSamples: 900,
				Hot: []analyze.Hot{{Function: "pkg.explainedHot", Base: 1, Head: 2, Share: 1, Unit: "ns/op", BaseSamples: 100, HeadSamples: 200}}},
			{Benchmark: "BenchmarkGone-8", Units: []string{"B/op"}, SampleType: "alloc_space", Notes: []string{"an orphan's note"}},
		},
	}
	var text, md, page bytes.Buffer
	if err := Text(&text, v, false); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, v, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	flames := map[string][]byte{"BenchmarkOwn-8 sec/op": []byte("main;pkg.ownHot 10\n"), "BenchmarkExplained-8 sec/op": []byte("main;pkg.explainedHot 10\n")}
	if err := HTML(&page, v, HTMLOptions{Flames: flames}); err != nil {
		t.Fatal(err)
	}
	for format, out := range map[string]string{"text": text.String(), "Markdown": md.String(), "HTML": page.String()} {
		if strings.Contains(out, "pkg.copiedHot") {
			t.Errorf("%s: the copy of an explanation's hot functions is shown", format)
		}
		for _, want := range []string{"pkg.ownHot", "pkg.explainedHot", "BenchmarkGone-8"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: no %q:\n%s", format, want, out)
			}
		}
		if n := strings.Count(out, "an orphan&#39;s note") + strings.Count(out, "an orphan's note"); n != 1 {
			t.Errorf("%s: the orphan explanation's note %d times, want 1", format, n)
		}
	}
	if !strings.Contains(text.String(), "      pkg.ownHot  +1.000ns/op  100%  (1.000ns/op → 2.000ns/op)\n      path: main → pkg.ownHot\n") {
		t.Errorf("the text has not the own hot functions as before:\n%s", text.String())
	}
	if !strings.Contains(md.String(), "<details><summary>Hot functions of BenchmarkOwn-8 sec/op</summary>") {
		t.Errorf("the Markdown has not the own hot functions as before:\n%s", md.String())
	}
	for _, want := range []string{`<svg class="flame" id="flame-result-1"`, `<svg class="flame" id="flame-explanation-1"`, `<section class="detail explanation wide" id="explanation-2">`} {
		if strings.Count(page.String(), want) != 1 {
			t.Errorf("the page has not once %q", want)
		}
	}
}

// TestMarkdownLimitExplanations: the explanations count toward the size
// limit: they go with the hot functions, before the notes, and an
// explanation goes when the first regression it explains goes.
func TestMarkdownLimitExplanations(t *testing.T) {
	v := &analyze.Verdict{Verdict: analyze.Regression, Alpha: 0.05}
	for s := range 40 {
		scenario := fmt.Sprintf("s%02d", s)
		e := analyze.Explanation{Benchmark: analyze.LoadName{Scenario: scenario}.String(), SampleType: "delay",
			BaseSamples: 1000, HeadSamples: 2000, BaseWork: 100, HeadWork: 100,
			Split: []analyze.Split{{Service: "a", Kind: "on-cpu", Base: 1, Head: 2, Unit: "ns/op"}, {Service: "b", Kind: "network", Base: 1, Head: 3, Unit: "ns/op"}},
			Notes: []string{"a note of " + scenario}}
		for f := range 5 {
			e.Hot = append(e.Hot, analyze.Hot{Function: fmt.Sprintf("example.com/%s.f%d", scenario, f), Service: "a", Kind: "on-cpu",
				Base: 1, Head: 2, Share: 0.2, Unit: "ns/op", BaseSamples: 10, HeadSamples: 20, Path: []string{"main", "f"}})
		}
		for u, unit := range []string{"sec/op", "p50-sec", "p90-sec", "p99-sec", "max-sec"} {
			r := reg(analyze.LoadName{Scenario: scenario, Service: "a"}.String(), unit, 1+float64(40-s)/10+float64(u)/100)
			r.Hot = e.Hot
			v.Results = append(v.Results, r)
			e.Units = append(e.Units, unit)
		}
		v.Explanations = append(v.Explanations, e)
	}
	var full bytes.Buffer
	if err := Markdown(&full, v, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(full.String(), "<details><summary>scenario "); n != 40 {
		t.Fatalf("%d explanations in the full report, want 40", n)
	}
	leftOut := regexp.MustCompile(`\n… (.*) left out to fit GitHub's limit; the full report is in the run's artifacts\n$`)
	for _, max := range []int{full.Len(), full.Len() - 1, full.Len() / 2, 8000, 3000, 1000} {
		var buf bytes.Buffer
		if err := Markdown(&buf, v, MarkdownOptions{MaxBytes: max}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if len(out) > max {
			t.Errorf("max %d: %d bytes", max, len(out))
		}
		checkMarkdownTables(t, out)
		if o, c := strings.Count(out, "<details>"), strings.Count(out, "</details>"); o != c {
			t.Errorf("max %d: %d <details>, %d </details>", max, o, c)
		}
		m := leftOut.FindStringSubmatch(out)
		if max == full.Len() {
			if m != nil || out != full.String() {
				t.Errorf("max %d: the full report does not fit in its own size", max)
			}
			continue
		}
		if m == nil {
			t.Fatalf("max %d: no note of what was left out:\n%s", max, out[len(out)-min(len(out), 300):])
		}
		rows := strings.Count(out, "| BenchmarkLoad/scenario=")
		shown := strings.Count(out, "<details><summary>scenario ")
		switch {
		case shown > 0:
			t.Errorf("max %d: %d explanations kept: they go before the notes and results", max, shown)
		case rows == 200 && m[1] != "40 explanations of regressions":
			t.Errorf("max %d: all rows kept, left out %q", max, m[1])
		case rows < 200 && !strings.Contains(m[1], fmt.Sprintf("%d more results", 200-rows)):
			t.Errorf("max %d: %d rows kept, left out %q", max, rows, m[1])
		}
		if rows < 200 && strings.Contains(m[1], "explanations") {
			// Only those of the regressions kept are counted.
			want := (rows + 4) / 5
			if !strings.Contains(m[1], fmt.Sprintf("%d explanations of regressions", want)) && !(want == 1 && strings.Contains(m[1], "1 explanation of regressions")) {
				t.Errorf("max %d: %d rows kept, left out %q: want %d explanations", max, rows, m[1], want)
			}
		}
	}
	// The blocks of the regressions kept, and only those.
	d := newMDDoc(v, MarkdownOptions{})
	if len(d.blocks) != 40 || !slices.IsSortedFunc(d.blocks, func(a, b mdBlock) int { return a.row - b.row }) {
		t.Fatalf("%d blocks, want 40 in row order", len(d.blocks))
	}
	for i, b := range d.blocks {
		if b.row != 5*i || !b.explanation {
			t.Errorf("block %d: row %d, explanation %v; want row %d, an explanation", i, b.row, b.explanation, 5*i)
		}
	}
}

func TestTrimPath(t *testing.T) {
	for _, tt := range []struct {
		path []string
		want string
	}{
		{[]string{"a", "b"}, "a b"},
		{[]string{"main.main", "main.a", "main.b", "main.c", "main.d", "main.e"}, "… main.b main.c main.d main.e"},
		{[]string{"net/http.(*conn).serve", "net/http.serverHandler.ServeHTTP", "example.com/shop.(*Cart).checkout", "example.com/shop.lookUp",
			"example.com/shop.fetchPrice", "net/http.(*Client).Do", "net/http.send", "net/http.(*Transport).roundTrip", "net/http.(*persistConn).roundTrip"},
			"net/http.(*conn).serve net/http.serverHandler.ServeHTTP example.com/shop.(*Cart).checkout example.com/shop.lookUp example.com/shop.fetchPrice … net/http.(*persistConn).roundTrip"},
		{[]string{"runtime.goexit", "runtime.gcBgMarkWorker", "runtime.gcDrain", "runtime.scanobject", "runtime.greyobject", "runtime.findObject"},
			"… runtime.gcDrain runtime.scanobject runtime.greyobject runtime.findObject"},
	} {
		if got := strings.Join(trimPath(tt.path, 4), " "); got != tt.want {
			t.Errorf("trimPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestSamplesLine checks the words of what an explanation rests on: time
// per request with off-CPU kinds rests on CPU samples and blocking
// events, without them (a capacity's, CPU profiles only) on CPU samples.
func TestSamplesLine(t *testing.T) {
	load := "BenchmarkLoad/scenario=checkout"
	for _, tt := range []struct {
		e    analyze.Explanation
		want string
	}{
		{analyze.Explanation{Benchmark: load, SampleType: "delay", BaseSamples: 10, HeadSamples: 20, BaseWork: 5, HeadWork: 5,
			Split: []analyze.Split{{Kind: "on-cpu"}, {Kind: "sync"}}}, "10 base and 20 head CPU samples and blocking events, over 5 and 5 requests"},
		{analyze.Explanation{Benchmark: load, SampleType: "delay", BaseSamples: 10, HeadSamples: 20,
			Split: []analyze.Split{{Kind: "on-cpu"}}}, "10 base and 20 head CPU samples"},
		{analyze.Explanation{Benchmark: "BenchmarkTop", SampleType: "cpu", BaseSamples: 1234, HeadSamples: 4021, BaseWork: 100, HeadWork: 90},
			"1,234 base and 4,021 head CPU samples, over 100 and 90 iterations"},
	} {
		if got := samplesLine(tt.e); got != tt.want {
			t.Errorf("samplesLine = %q, want %q", got, tt.want)
		}
	}
}
