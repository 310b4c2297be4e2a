package report

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/internal/chromium"
)

func TestHTMLGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := HTML(&buf, verdict(t), HTMLOptions{Flames: flames(t)}); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.html.golden", buf.Bytes())

	// The same input gives the same bytes.
	var again bytes.Buffer
	if err := HTML(&again, verdict(t), HTMLOptions{Flames: flames(t)}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two renderings of one input differ")
	}

	out := buf.String()
	for _, want := range []string{
		`<body data-errors="">`,
		`<span>REGRESSION</span>`,
		`<svg class="chart rounds"`,
		`<svg class="chart latency"`,
		`<svg class="flame"`,
		`<title>example.com/server.(*Router).match`,
		`<title>example.com/shop/cart.computePrice`,
		`scenario checkout, service cart`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the page has no %q", want)
		}
	}
	// Self-contained: nothing is fetched.
	for _, bad := range []string{"http://", "https://", "<link", "src=", "@import", "url("} {
		if strings.Contains(out, bad) {
			t.Errorf("the page refers to something outside it: %q", bad)
		}
	}
}

// TestHTMLEscape: untrusted names are text, never markup.
func TestHTMLEscape(t *testing.T) {
	v := &analyze.Verdict{
		Verdict: analyze.Regression, Alpha: 0.05,
		Base:  analyze.Side{Ref: "<script>alert(1)</script>"},
		Notes: []string{"<img src=x onerror=alert(1)>"},
		Results: []analyze.Result{{
			Benchmark: hostile + "<script>alert(2)</script>", Unit: "sec/op\"><svg onload=alert(3)>",
			Base:  &analyze.Summary{Center: 1, N: 3, Values: []float64{1, 1, 1}},
			Head:  &analyze.Summary{Center: 2, N: 3, Values: []float64{2, 2, 2}},
			Delta: 1, P: 0.01, Status: analyze.StatusRegression, Regression: true,
			Hot: []analyze.Hot{{Function: "</title><script>alert(4)</script>", Share: 1, Unit: "ns/op", Path: []string{"<b>x</b>"}}},
		}},
	}
	flames := map[string][]byte{
		v.Results[0].Benchmark + " " + v.Results[0].Unit: []byte("main;</title><script>alert(5)</script> 10\nmain;\"><b> -5\n"),
		"</svg><script>alert(6)</script>":                []byte("x 1\n"),
	}
	var buf bytes.Buffer
	if err := HTML(&buf, v, HTMLOptions{Title: "</title><script>alert(7)</script>", Flames: flames}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, "<script"); n != 2 {
		t.Errorf("%d <script> elements, want the page's own 2", n)
	}
	// Every element is one of the page's own, and none has an event
	// handler.
	own := make(map[string]bool)
	for _, tag := range strings.Fields(`html head meta title script style body header div span main p h2 h3
		table thead tbody tr th td a code sup ol ul li footer b section wbr svg g rect text line polyline circle`) {
		own[tag] = true
	}
	for _, m := range regexp.MustCompile(`</?([a-zA-Z][a-zA-Z0-9-]*)`).FindAllStringSubmatch(out, -1) {
		if !own[strings.ToLower(m[1])] {
			t.Errorf("the page has an element %q of no template", m[0])
		}
	}
	if m := regexp.MustCompile(`<[^>]*\son[a-z]+=`).FindString(out); m != "" {
		t.Errorf("the page has an event handler: %s", m)
	}
	if !strings.Contains(out, "&lt;/title&gt;&lt;script&gt;alert(4)&lt;/script&gt;") {
		t.Error("a hot function's name is not escaped as text")
	}
}

// TestFlameLayout lays out the diff of real CPU profiles (those of
// analyze's hot-function tests, where main.work2 became 3x slower): the
// widest, reddest frame under main.op is main.work2; no frame is narrower
// than half a pixel; children sit inside their parents.
func TestFlameLayout(t *testing.T) {
	g := layoutFlame(fixtureFolded(t))
	if g == nil || len(g.Frames) < 5 || g.BadLines != 0 {
		t.Fatalf("layout %+v", g)
	}
	if g.Frames[0].Name != "all" || g.Frames[0].W != "1100" {
		t.Errorf("root frame %+v, want all, 1100 wide", g.Frames[0])
	}
	var work2 *flameFrame
	for i := range g.Frames {
		f := &g.Frames[i]
		w, _ := strconv.ParseFloat(f.W, 64)
		if w < flameMinWidth {
			t.Errorf("frame %s is %v wide", f.Name, w)
		}
		if f.Name == "main.work2" && (work2 == nil || w > mustFloat(t, work2.W)) {
			work2 = f
		}
	}
	if work2 == nil {
		t.Fatal("no main.work2 frame")
	}
	r, _ := strconv.ParseUint(work2.Fill[1:3], 16, 8)
	b, _ := strconv.ParseUint(work2.Fill[5:7], 16, 8)
	if r <= b || mustFloat(t, work2.W) < 300 {
		t.Errorf("main.work2: fill %s, width %s: want red and wide", work2.Fill, work2.W)
	}
	if !strings.HasPrefix(work2.Title, "main.work2\nhead − base: +") {
		t.Errorf("main.work2's title %q", work2.Title)
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFlameParse(t *testing.T) {
	root, bad := parseFolded([]byte("a;b 10\na;c -4\n\nno value\na;b;d x\nfunc with space;e 2.5\na;b 0\n"))
	if bad != 2 {
		t.Errorf("%d bad lines, want 2", bad)
	}
	if root.abs != 16.5 || root.net != 8.5 {
		t.Errorf("root abs %v net %v, want 16.5 and 8.5", root.abs, root.net)
	}
	a := root.children["a"]
	if a == nil || a.abs != 14 || a.net != 6 || a.children["c"].net != -4 {
		t.Errorf("frame a: %+v", a)
	}
	if root.children["func with space"] == nil {
		t.Error("a name with spaces is cut")
	}
	if g := layoutFlame(nil); g != nil {
		t.Errorf("no stacks: %+v, want nil", g)
	}
	if g := layoutFlame([]byte("garbage\n")); g == nil || g.BadLines != 1 || len(g.Frames) != 0 {
		t.Errorf("garbage: %+v", g)
	}
	// Colors: red for growth, blue for shrinkage, grey for none.
	for _, tt := range []struct {
		net  float64
		want string
	}{{10, "#dc2626"}, {-10, "#2563eb"}, {0, "#e8e8e8"}} {
		if got := flameColor(tt.net, 10); got != tt.want {
			t.Errorf("flameColor(%v, 10) = %s, want %s", tt.net, got, tt.want)
		}
	}
}

func TestNiceAxis(t *testing.T) {
	for _, tt := range []struct {
		lo, hi float64
		unit   string
		zero   bool
		want   string
	}{
		{0.996e-6, 1.105e-6, "sec/op", false, "0.98µs 1.00µs 1.02µs 1.04µs 1.06µs 1.08µs 1.10µs 1.12µs"},
		{0, 0.048, "sec", true, "0s 10ms 20ms 30ms 40ms 50ms"},
		{14 << 20, 18 << 20, "peak-rss-B", false, "14MiB 15MiB 16MiB 17MiB 18MiB"},
		{18000, 20005, "req/s", false, "18.0k 18.5k 19.0k 19.5k 20.0k 20.5k"},
		{5, 5, "allocs/op", false, "4.4 4.6 4.8 5.0 5.2 5.4 5.6"},
		{0, 0, "sec/op", true, "0s 0.2s 0.4s 0.6s 0.8s 1.0s"},
		{-0.3, 0.25, "", false, "-300m -200m -100m 0 100m 200m 300m"},
	} {
		ax := niceAxis(tt.lo, tt.hi, tt.unit, tt.zero)
		if got := strings.Join(ax.labels, " "); got != tt.want {
			t.Errorf("niceAxis(%v, %v, %s) = %s, want %s", tt.lo, tt.hi, tt.unit, got, tt.want)
		}
		if ax.lo > tt.lo || ax.hi < tt.hi {
			t.Errorf("niceAxis(%v, %v, %s): [%v, %v] does not cover the values", tt.lo, tt.hi, tt.unit, ax.lo, ax.hi)
		}
	}
}

// TestHTMLChromium opens the pages of the golden inputs in headless
// Chromium, as a person would: the dumped DOM must hold the verdict, the
// charts, the explanations and the flame graphs, the page's scripts must
// raise no error, a click on a flame graph's frame must zoom it, and a
// screenshot must show something.
func TestHTMLChromium(t *testing.T) {
	bin := chromium.Find(t)
	for _, tt := range []struct {
		name   string
		v      *analyze.Verdict
		flames map[string][]byte
		want   []string
	}{
		{"compare", verdict(t), flames(t), []string{
			"REGRESSION",
			`class="flame"`,
			`class="frame"`,
			"<title>example.com/server.(*Router).match",
			`class="chart rounds"`,
			`class="chart latency"`,
		}},
		{"explained", explainedVerdict(t), explainedFlames(t), []string{
			"REGRESSION",
			`<section class="detail explanation wide" id="explanation-2">`,
			"scenario checkout",
			"sec/op +259.37%, p50-sec +260.00%, p90-sec +233.33%, p99-sec +200.00%, max-sec +100.00%, req/s -12.00% regressed",
			"1,234 base and 4,021 head CPU samples and blocking events",
			"<td>network</td>",
			"<code>net/http.(*persistConn).roundTrip</code>",
			`<svg class="flame" id="flame-explanation-2"`,
			`<svg class="flame" id="flame-explanation-3"`,
			"support no ranking",
			`class="chart rounds"`,
			`class="chart latency"`,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			testChromium(t, bin, tt.v, tt.flames, tt.want)
		})
	}
}

func testChromium(t *testing.T, bin string, v *analyze.Verdict, flames map[string][]byte, want []string) {
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := HTML(&buf, v, HTMLOptions{Flames: flames}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(page)

	dom, stderr := chromium.Run(t, bin, filepath.Join(dir, "profile-dom"), "--dump-dom", url)
	for _, want := range want {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM has no %q", want)
		}
	}
	if m := regexp.MustCompile(`<body[^>]*>`).FindString(dom); !strings.Contains(m, `data-errors=""`) {
		t.Errorf("the page's scripts raised errors: %s", m)
	}
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "Uncaught") || strings.Contains(line, "CONSOLE") && strings.Contains(line, "Error") {
			t.Errorf("console error: %s", line)
		}
	}

	// Click-to-zoom: a click on a frame fills the width with it, and raises
	// no error.
	zoom := filepath.Join(dir, "zoom.html")
	clicked := strings.Replace(buf.String(), "</body>", `<script>
(function () {
  var frames = document.querySelectorAll("svg.flame g.frame"), g = frames[frames.length - 1];
  g.dispatchEvent(new MouseEvent("click", {bubbles: true}));
  var hidden = 0;
  Array.prototype.forEach.call(frames, function (f) { if (f.style.display === "none") hidden++; });
  document.body.setAttribute("data-zoomed", g.querySelector("rect").getAttribute("width") + " " + hidden);
  frames[0].dispatchEvent(new MouseEvent("click", {bubbles: true}));
})();
</script>
</body>`, 1)
	if err := os.WriteFile(zoom, []byte(clicked), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, stderr = chromium.Run(t, bin, filepath.Join(dir, "profile-zoom"), "--dump-dom", "file://"+filepath.ToSlash(zoom))
	body := regexp.MustCompile(`<body[^>]*>`).FindString(dom)
	if !strings.Contains(body, `data-errors=""`) || strings.Contains(stderr, "Uncaught") {
		t.Errorf("zooming raised errors: %s\n%s", body, stderr)
	}
	if m := regexp.MustCompile(`data-zoomed="1100.00 (\d+)"`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("a clicked frame did not fill the width, hiding others: %s", body)
	}

	shot := filepath.Join(dir, "report.png")
	chromium.Run(t, bin, filepath.Join(dir, "profile-shot"), "--screenshot="+shot, "--window-size=1280,2000", url)
	fi, err := os.Stat(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if fi.Size() < 10<<10 {
		t.Errorf("screenshot is %d bytes: nothing much on the page", fi.Size())
	}
	if dst := os.Getenv("PERFGATE_SCREENSHOT"); dst != "" {
		// For a person who wants to look at it.
		if b, err := os.ReadFile(shot); err == nil {
			os.WriteFile(dst, b, 0o644)
		}
	}
}

// TestCurveChart checks the latency curve of a capacity scenario: a dot
// per step of each side at its rate, latencies beyond the chart drawn at
// its top, the objective as a line, and the chart on the page of a
// max-req/s result whether it regressed or not.
func TestCurveChart(t *testing.T) {
	curves := []analyze.Curve{
		{Scenario: "checkout", Side: "base", Percentile: 99, Objective: 0.05, Points: []analyze.CurvePoint{
			{Rate: 1000, Latency: 0.004, Met: true}, {Rate: 2000, Latency: 0.9}, {Rate: 1414, Latency: 0.03, Met: true}}},
		{Scenario: "checkout", Side: "head", Percentile: 99, Objective: 0.05, Points: []analyze.CurvePoint{
			{Rate: 1000, Latency: 0.06}, {Rate: 500, Latency: 0.02, Met: true}}},
		{Scenario: "other", Side: "base", Percentile: 90, Objective: 1, Points: []analyze.CurvePoint{{Rate: 5, Latency: 2}}},
	}
	c := curveChart(curves, "checkout", "base", "head")
	if c == nil {
		t.Fatal("no chart")
	}
	if len(c.Series) != 3 || len(c.Series[0].Dots) != 3 || len(c.Series[1].Dots) != 2 || c.Series[2].Center == "" {
		t.Fatalf("series %+v, want base's 3 dots, head's 2 and the objective's line", c.Series)
	}
	// Sorted by rate: base's dots at 1000, 1414, 2000 left to right; the
	// one at 0.9 s is drawn at the top of the plot.
	xs := []float64{}
	for _, d := range c.Series[0].Dots {
		x, _ := strconv.ParseFloat(d.X, 64)
		xs = append(xs, x)
	}
	if !(xs[0] < xs[1] && xs[1] < xs[2]) {
		t.Errorf("base's dots at x %v, want increasing with the rate", xs)
	}
	if top := c.Series[0].Dots[2]; top.Y != c.Top || !strings.Contains(top.Title, "at 2000 req/s: p99 900.0ms") || !strings.Contains(top.Title, "missed") {
		t.Errorf("the dot of 0.9 s: %+v, want at the top (%s) saying its rate, 900.0ms, missed", top, c.Top)
	}
	if curveChart(curves, "nope", "base", "head") != nil {
		t.Error("a chart for a scenario without curves")
	}

	v := &analyze.Verdict{Verdict: analyze.Pass, Curves: curves, Results: []analyze.Result{{
		Benchmark: "BenchmarkLoad/scenario=checkout/service=cart", Unit: "max-req/s", Status: analyze.StatusUnchanged,
		Base: &analyze.Summary{Center: 1414, Values: []float64{1414}}, Head: &analyze.Summary{Center: 500, Values: []float64{500}},
	}}}
	var b strings.Builder
	if err := HTML(&b, v, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "p99 latency against the offered rate") {
		t.Error("the page of an unchanged max-req/s has no latency curve")
	}
}
