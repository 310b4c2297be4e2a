package report

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/analyze"
)

// FuzzParseFolded feeds arbitrary text to the folded-stack reader and to
// the flame graph laid out from it. Properties:
//
//   - neither panics, and at most every line (and a failed read) is bad;
//   - every frame's change is finite, its net change no larger than its
//     total change, and its children's total changes add up to no more
//     than its own: a frame is as wide as the stacks through it;
//   - no stack is deeper than flameMaxDepth below the root;
//   - the layout is nil only when nothing could be read; otherwise its
//     frames are finite, at least flameMinWidth wide, inside the graph,
//     on the row of their depth, with a #rrggbb color.
//
// testdata/fuzz/FuzzParseFolded holds the inputs fuzzing found bugs with,
// now fixed, which run as seeds with every go test: 5409c97ccaeb09b8, a
// subnormal total change ("0 7e-310") that made every width infinite. The
// seed "a 1e308..." below is another: totals that overflowed to infinity.
func FuzzParseFolded(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.folded"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(firstLines(data, 2048))
	}
	f.Add(firstLines(fixtureFolded(f), 2048))
	for _, s := range []string{
		"",
		"\n\n",
		"a;b;c 10\n",
		"a;b 10\na;c -4\n\nno value\na;b;d x\nfunc with space;e 2.5\na;b 0\n",
		"a 1\r\na;b 2\r\n",
		"a;;b 3\n;a 1\na; 1\n",
		" 5\n; 5\n;;; 5\n",
		"a 1e308\na 1e308\nb -1e308\n",
		"a NaN\nb Inf\nc -Inf\nd 0x1p-2\ne 1_000\n",
		"a 5e-324\nb 1\n",
		"slices.insertionSortCmpFunc[go.shape.struct { net/http.key string: net/http.values []string }] 10\n",
		"main.main;é;\xff\xfe 7\n",
	} {
		f.Add([]byte(s))
	}

	fill := regexp.MustCompile(`^#[0-9a-f]{6}$`)
	f.Fuzz(func(t *testing.T, data []byte) {
		root, bad := parseFolded(data)
		if lines := bytes.Count(data, []byte("\n")) + 1; bad > lines+1 {
			t.Fatalf("%d bad lines of %d", bad, lines)
		}
		if root == nil || root.name != "all" {
			t.Fatalf("root %+v", root)
		}
		var check func(n *flameNode, depth int)
		check = func(n *flameNode, depth int) {
			if depth > flameMaxDepth {
				t.Fatalf("frame %q at depth %d, beyond %d", n.name, depth, flameMaxDepth)
			}
			if !finite(n.abs) || !finite(n.net) || n.abs < 0 {
				t.Fatalf("frame %q: total change %v, net %v", n.name, n.abs, n.net)
			}
			slack := 1e-9 * n.abs
			if math.Abs(n.net) > n.abs+slack {
				t.Fatalf("frame %q: net change %v beyond its total change %v", n.name, n.net, n.abs)
			}
			var children float64
			for _, c := range n.children {
				children += c.abs
				check(c, depth+1)
			}
			if children > n.abs+slack {
				t.Fatalf("frame %q: children's total change %v beyond its own %v", n.name, children, n.abs)
			}
		}
		check(root, 0)

		g := layoutFlame(data)
		if g == nil {
			if root.abs != 0 || bad != 0 {
				t.Fatalf("no layout, with total change %v and %d bad lines", root.abs, bad)
			}
			return
		}
		if g.Width != flameWidth || g.BadLines != bad {
			t.Fatalf("layout %d wide with %d bad lines; want %d and %d", g.Width, g.BadLines, flameWidth, bad)
		}
		if root.abs != 0 && (len(g.Frames) == 0 || g.Frames[0].Name != "all" || g.Frames[0].W != px2(flameWidth)) {
			t.Fatalf("a change of %v, and no root frame as wide as the graph: %+v", root.abs, g.Frames)
		}
		for _, fr := range g.Frames {
			x, errX := strconv.ParseFloat(fr.X, 64)
			w, errW := strconv.ParseFloat(fr.W, 64)
			y, errY := strconv.Atoi(fr.Y)
			dx, errDX := strconv.ParseFloat(fr.DX, 64)
			dw, errDW := strconv.ParseFloat(fr.DW, 64)
			if errX != nil || errW != nil || errY != nil || errDX != nil || errDW != nil || !finite(x) || !finite(w) {
				t.Fatalf("frame %+v: not numbers", fr)
			}
			// X and W are rounded to hundredths, DX and DW to
			// millionths.
			if w < flameMinWidth-0.005 || x < 0 || x+w > flameWidth+0.01 || dx < 0 || dx+dw > 1+2e-6 {
				t.Fatalf("frame %+v: outside the graph", fr)
			}
			if fr.Depth < 0 || fr.Depth > flameMaxDepth || y != fr.Depth*flameRowH || y+flameRowH > g.Height {
				t.Fatalf("frame %+v: not on its row of a graph %d high", fr, g.Height)
			}
			if !fill.MatchString(fr.Fill) {
				t.Fatalf("frame %+v: color %q", fr, fr.Fill)
			}
		}
	})
}

// fixtureFolded is the folded stacks of the diff of analyze's CPU profile
// fixtures (where main.work2 became 3x slower), per operation as the gate
// writes them.
func fixtureFolded(t testing.TB) []byte {
	t.Helper()
	_, folded := fixtureDiff(t)
	return folded
}

// firstLines returns the whole lines of data that fit in n bytes: the
// fuzzer minimizes each input that finds new coverage, which takes long
// on large ones, and the first lines cover the same reading.
func firstLines(data []byte, n int) []byte {
	if len(data) <= n {
		return data
	}
	if i := bytes.LastIndexByte(data[:n], '\n'); i >= 0 {
		return data[:i+1]
	}
	return data[:n]
}

// TestFlameScaleOf: the unit and work of a flame graph's values come from
// the result's hot functions (the work their costs were divided by), else
// from its explanation, else the values are totals in the sample unit, or
// plain numbers.
func TestFlameScaleOf(t *testing.T) {
	// The real diff of the CPU profile fixtures, ranked: the work found
	// is the head's, which the diff's values are for.
	diffs, folded := fixtureDiff(t)
	hot, err := analyze.Diff(diffs, analyze.HotOptions{Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	const key = "BenchmarkX sec/op"
	result := func(hot ...analyze.Hot) []analyze.Result {
		return []analyze.Result{{Benchmark: "BenchmarkX", Unit: "sec/op", Hot: hot}}
	}
	for _, tt := range []struct {
		name   string
		v      *analyze.Verdict
		key    string
		folded string
		want   flameScale
	}{
		{"real diff", &analyze.Verdict{Results: result(hot...)}, key, string(folded), flameScale{"ns/op", diffs[0].Work}},
		{"within its service", &analyze.Verdict{Results: result(analyze.Hot{Function: "f", Service: "b", Head: 5, Base: 2, Unit: "ns/op"})},
			key, "a;main;f 100\nb;main;f 300\nb;main;f;g 7\n", flameScale{"ns/op", 100}},
		{"one service, not a root frame", &analyze.Verdict{Results: result(analyze.Hot{Function: "f", Service: "b", Head: 5, Unit: "B/op"})},
			key, "main;f 100\nmain;g;f 400\n", flameScale{"B/op", 100}},
		{"escaped name", &analyze.Verdict{Results: result(analyze.Hot{Function: "f[struct { a int; b int }]", Head: 2, Unit: "ns/op"})},
			key, "main;f[struct { a int: b int }] 50\n", flameScale{"ns/op", 25}},
		{"first hot function not in the stacks", &analyze.Verdict{Results: result(
			analyze.Hot{Function: "gone", Head: 9, Unit: "ns/op"}, analyze.Hot{Function: "f", Head: 4, Base: 3, Unit: "ns/op"})},
			key, "main;f 20\n", flameScale{"ns/op", 20}},
		{"explanation", &analyze.Verdict{Results: result(), Explanations: []analyze.Explanation{
			{Benchmark: "BenchmarkX", Units: []string{"B/op"}, SampleType: "alloc_space", HeadWork: 7},
			{Benchmark: "BenchmarkX", Units: []string{"allocs/op", "sec/op"}, SampleType: "cpu", HeadWork: 40}}},
			key, "main;f 20\n", flameScale{"ns/op", 40}},
		{"explanation's hot functions", &analyze.Verdict{Explanations: []analyze.Explanation{
			{Benchmark: "BenchmarkLoad/scenario=s", Units: []string{"p50-sec"}, HeadWork: 500,
				Hot: []analyze.Hot{{Function: "f", Service: "a", Head: 3, Base: 1, Unit: "ns/op"}}}}},
			"BenchmarkLoad/scenario=s p50-sec", "a;main;f 60\nb;main;f 1000\n", flameScale{"ns/op", 30}},
		{"no work", &analyze.Verdict{Results: result(analyze.Hot{Function: "gone", Head: 9, Unit: "B/op"})},
			key, "main;f 20\n", flameScale{"B", 1}},
		{"no hot function", &analyze.Verdict{Results: result()}, key, "main;f 20\n", flameScale{"", 1}},
		{"no result", &analyze.Verdict{Results: result()}, "BenchmarkY sec/op", "main;f 20\n", flameScale{}},
		{"no verdict", nil, key, "main;f 20\n", flameScale{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := flameScaleOf(tt.v, tt.key, []byte(tt.folded))
			if got.Unit != tt.want.Unit || math.Abs(got.Work-tt.want.Work) > 1e-9*math.Abs(tt.want.Work) {
				t.Errorf("flameScaleOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestFlameTitles: a frame's tooltip and the caption give the change per
// unit of work, in the unit of the hot functions: for the real diff,
// main.work2's net change is its growth in perfgate's hot functions.
func TestFlameTitles(t *testing.T) {
	diffs, folded := fixtureDiff(t)
	hot, err := analyze.Diff(diffs, analyze.HotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := &analyze.Verdict{Results: []analyze.Result{{Benchmark: "BenchmarkX", Unit: "sec/op", Hot: hot}}}
	g := flameOf(v, "BenchmarkX sec/op", folded)
	if g == nil {
		t.Fatal("no flame graph")
	}
	if !strings.HasPrefix(g.Caption, "net change +") || !strings.HasSuffix(g.Caption, "s/op") {
		t.Errorf("caption %q, want the net and total change per op", g.Caption)
	}
	var work2 analyze.Hot
	for _, h := range hot {
		if h.Function == "main.work2" {
			work2 = h
		}
	}
	// main.work2 has one frame, on one path: its net change is its
	// cumulative growth.
	want := "main.work2\nhead − base: +" + Cost(work2.HeadCum-work2.BaseCum, "ns/op") + "\nchanged: "
	var titles []string
	for _, f := range g.Frames {
		if f.Name == "main.work2" {
			titles = append(titles, f.Title)
		}
	}
	if len(titles) != 1 || !strings.HasPrefix(titles[0], want) || !strings.HasSuffix(titles[0], "% of all change)") {
		t.Errorf("main.work2's titles %q, want one that begins %q", titles, want)
	}
	// Without a unit the values are plain numbers, as they were.
	if g := layoutFlame(folded); !strings.Contains(g.Frames[0].Title, "head − base: +") || strings.Contains(g.Frames[0].Title, "/op") {
		t.Errorf("plain title %q", g.Frames[0].Title)
	}
}

// TestFlameGolden keeps the flame graphs of the golden input (the folded
// stacks of testdata, under the hot functions of verdict) as they are laid
// out: each frame's place, color and tooltip, and the caption, in
// testdata/flame.golden (go test -update rewrites it).
func TestFlameGolden(t *testing.T) {
	v := verdict(t)
	fl := flames(t)
	keys := make([]string, 0, len(fl))
	for k := range fl {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		g := flameOf(v, k, fl[k])
		fmt.Fprintf(&b, "## %s\n%s (%dx%d)\n", k, g.Caption, g.Width, g.Height)
		for _, f := range g.Frames {
			fmt.Fprintf(&b, "%s %s %s %s %q\n", f.X, f.Y, f.W, f.Fill, f.Title)
		}
	}
	golden(t, "flame.golden", b.Bytes())
}

// fixtureDiff is the diff of analyze's CPU profile fixtures, head's work
// its Work, and its folded stacks.
func fixtureDiff(t testing.TB) ([]analyze.ProfileDiff, []byte) {
	t.Helper()
	var sides [2]analyze.ProfileSide
	for i, side := range []string{"base", "head"} {
		dir := filepath.Join("..", "testdata", "profiles")
		data, err := os.ReadFile(filepath.Join(dir, "cpu-"+side+".pb.gz"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := profile.ParseData(data)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := os.ReadFile(filepath.Join(dir, "cpu-"+side+".ops"))
		if err != nil {
			t.Fatal(err)
		}
		work, err := strconv.ParseFloat(strings.TrimSpace(string(ops)), 64)
		if err != nil {
			t.Fatal(err)
		}
		sides[i] = analyze.ProfileSide{Profiles: []*profile.Profile{p}, Work: work}
	}
	diffs, err := analyze.DiffProfiles(sides[:1], sides[1:], "")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := analyze.Folded(&b, diffs[0].Diff, ""); err != nil {
		t.Fatal(err)
	}
	return diffs, b.Bytes()
}
