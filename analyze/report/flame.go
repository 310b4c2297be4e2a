package report

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"

	"github.com/perfgate/perfgate/analyze"
)

// A diff flame graph of the HTML report, from the folded stacks of a diff
// profile (analyze.Folded's format: "root;...;leaf value" per line, values
// head minus base, negative where the base was more expensive).
//
// The steps:
//
//  1. Read the lines into a tree of frames: each frame adds up, over the
//     stacks through it, the absolute values (how much changed under it,
//     its width) and the signed values (the net change, its color).
//  2. Lay the tree out as an icicle: the root on top, each frame as wide
//     as its absolute change, its children left to right by name.
//  3. Drop the frames narrower than half a pixel, with their children:
//     they are noise at this scale.
//  4. Color each frame by its net change: red where the head costs more,
//     blue where it costs less, grey where growth and shrinkage cancel out;
//     the larger the change, the deeper the color.
//
// A folded line of a diff has only its net value: the head's own cost is
// not in it, so a frame's width is the change under it, not its cost.
//
// The values are for the head's work (all the iterations or requests its
// profiles cover), in the profiles' sample unit. The tooltips and the
// caption show them per unit of work, "+12.3µs/op", as the hot functions
// are shown (flameOf: the unit and the work come from the result's hot
// functions, see flameScaleOf), or as plain numbers when neither is known.

// Flame graph geometry, in SVG user units.
const (
	flameWidth    = 1100
	flameRowH     = 18
	flameMinWidth = 0.5
	flameCharW    = 7 // the width of a character of the frames' monospace font
	flameMaxDepth = 128
)

type flameNode struct {
	name     string
	abs, net float64
	children map[string]*flameNode
}

func (n *flameNode) child(name string) *flameNode {
	if n.children == nil {
		n.children = make(map[string]*flameNode)
	}
	c := n.children[name]
	if c == nil {
		c = &flameNode{name: name}
		n.children[name] = c
	}
	return c
}

// flameFrame is one drawn frame.
type flameFrame struct {
	X, Y, W string
	Fill    string
	Label   string // the name shortened to fit, "" if nothing fits
	Name    string // the short name, for relabelling after a zoom
	Title   string // the full name and figures, shown on hover
	// DX, DW and Depth place the frame for zooming: its left edge and
	// width as fractions of the root's, and its row.
	DX, DW string
	Depth  int
}

// flameGraph is a laid-out diff flame graph.
type flameGraph struct {
	Width, Height int
	Frames        []flameFrame
	// Caption sums it up; BadLines counts the folded lines that could not
	// be read.
	Caption  string
	BadLines int
}

// parseFolded reads folded stacks into a tree, counting the lines it
// cannot read. Values may be integers or decimals; a line whose value is
// not finite, or would make the total change overflow, is not read.
func parseFolded(data []byte) (root *flameNode, bad int) {
	root = &flameNode{name: "all"}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i <= 0 {
			bad++
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		stack := strings.TrimSpace(line[:i])
		// A value that would make the total change infinite is bad too:
		// it would make every width NaN.
		if err != nil || !finite(v) || stack == "" || !finite(root.abs+math.Abs(v)) {
			bad++
			continue
		}
		if v == 0 {
			continue
		}
		n := root
		n.abs += math.Abs(v)
		n.net += v
		for depth, f := range strings.Split(stack, ";") {
			if depth >= flameMaxDepth {
				break
			}
			n = n.child(f)
			n.abs += math.Abs(v)
			n.net += v
		}
	}
	if sc.Err() != nil {
		bad++
	}
	return root, bad
}

// flameScale is what the values of a flame graph's folded stacks are: their
// unit and the work they cover.
type flameScale struct {
	// Unit is the unit of a value divided by Work, as analyze.Hot's Unit
	// ("ns/op", "B/op", "objects/op"), or the sample unit itself ("ns")
	// when the work is not known; "" shows plain numbers.
	Unit string
	// Work is the units of work (iterations, requests) the values cover,
	// the head's for a diff; at most 0 is taken as 1.
	Work float64
}

// format is v in the scale's unit, per unit of work.
func (s flameScale) format(v float64) string {
	if s.Unit == "" {
		return benchunit.Scale(v, benchunit.Decimal)
	}
	if s.Work > 0 {
		v /= s.Work
	}
	return Cost(v, s.Unit)
}

// signed is format with a "+" for growth.
func (s flameScale) signed(v float64) string {
	if v > 0 {
		return "+" + s.format(v)
	}
	return s.format(v)
}

// flameOf lays out the diff flame graph of the result of v keyed key
// (Benchmark+" "+Unit, as HTMLOptions.Flames keys them) from its folded
// stacks, with its values per unit of work (flameScaleOf); nil when they
// hold no change.
func flameOf(v *analyze.Verdict, key string, folded []byte) *flameGraph {
	return layoutFlameScaled(folded, flameScaleOf(v, key, folded))
}

// flameScaleOf returns the unit and the work of the folded stacks keyed
// key in v: those of a result (Benchmark+" "+Unit) or of an explanation
// (its Benchmark and one of its Units). The unit is its hot functions'
// (their Unit, per unit of work: the result's, else the explanation's).
// The work is the one their costs were divided by: a hot function's
// growth, Head-Base, is its flat value in the diff over the head's work,
// and the diff's folded stacks hold the same flat value as the sum of the
// stacks that end in it (within its service's root frame when the stacks
// of several services are joined), so the work is that sum over the
// growth, the first hot function for which both are known giving it.
// Without such a function, the work is the explanation's HeadWork; else
// the values are shown as totals in the sample unit, or as plain numbers
// when no hot function nor explanation gives the unit.
func flameScaleOf(v *analyze.Verdict, key string, folded []byte) flameScale {
	if v == nil {
		return flameScale{}
	}
	var hot []analyze.Hot
	found := false
	if i := slices.IndexFunc(v.Results, func(r analyze.Result) bool { return r.Benchmark+" "+r.Unit == key }); i >= 0 {
		hot, found = v.Results[i].Hot, true
	}
	var expl *analyze.Explanation
	for j := range v.Explanations {
		e := &v.Explanations[j]
		if slices.ContainsFunc(e.Units, func(u string) bool { return e.Benchmark+" "+u == key }) {
			expl, found = e, true
			if len(hot) == 0 {
				hot = e.Hot
			}
			break
		}
	}
	if !found {
		return flameScale{}
	}
	var unit string
	if len(hot) > 0 {
		unit = hot[0].Unit
	}
	root, _ := parseFolded(folded)
	for _, h := range hot {
		growth := h.Head - h.Base
		if h.Unit != unit || !(growth > 0) || !finite(growth) {
			continue
		}
		under := root
		if c := root.children[h.Service]; h.Service != "" && c != nil {
			under = c
		}
		if work := flatSum(under, foldedFrame(h.Function)) / growth; work > 0 && finite(work) {
			return flameScale{Unit: unit, Work: work}
		}
	}
	if expl != nil && expl.HeadWork > 0 && finite(expl.HeadWork) {
		if unit == "" {
			unit = sampleTypeUnit(expl.SampleType)
		}
		if unit != "" {
			return flameScale{Unit: unit, Work: expl.HeadWork}
		}
	}
	// The totals of the head's work, in the sample unit.
	unit, _, _ = strings.Cut(unit, "/")
	return flameScale{Unit: unit, Work: 1}
}

// flatSum adds up, over the frames named name under n (n included), the
// values of the stacks that end in them: their net change less their
// children's.
func flatSum(n *flameNode, name string) float64 {
	var sum float64
	var walk func(n *flameNode)
	walk = func(n *flameNode) {
		children := 0.0
		for _, c := range n.children {
			children += c.net
			walk(c)
		}
		if n.name == name {
			sum += n.net - children
		}
	}
	walk(n)
	return sum
}

// foldedFrame is a function's name as analyze.Folded writes it in a stack:
// a ';' becomes ':' and a line break a space.
func foldedFrame(name string) string {
	return strings.NewReplacer(";", ":", "\n", " ", "\r", " ").Replace(name)
}

// sampleTypeUnit is the unit per unit of work of the values of a sample
// type, as analyze.Hot's Unit gives it, or "" for a type it does not know.
func sampleTypeUnit(sampleType string) string {
	switch {
	case sampleType == "cpu" || sampleType == "delay":
		return "ns/op"
	case strings.HasSuffix(sampleType, "_space"):
		return "B/op"
	case strings.HasSuffix(sampleType, "_objects"):
		return "objects/op"
	}
	return ""
}

// layoutFlame lays out the diff flame graph of folded stacks, their values
// shown as plain numbers, or returns nil when they hold no change.
func layoutFlame(folded []byte) *flameGraph {
	return layoutFlameScaled(folded, flameScale{})
}

// layoutFlameScaled lays out the diff flame graph of folded stacks whose
// values are in scale, or returns nil when they hold no change.
func layoutFlameScaled(folded []byte, scale flameScale) *flameGraph {
	root, bad := parseFolded(folded)
	if root.abs == 0 {
		if bad == 0 {
			return nil
		}
		return &flameGraph{Width: flameWidth, Caption: "no stack could be read", BadLines: bad}
	}
	// The largest net change of a frame below the root sets the scale of
	// the colors.
	var maxNet float64
	var walk func(n *flameNode)
	walk = func(n *flameNode) {
		for _, c := range n.children {
			maxNet = math.Max(maxNet, math.Abs(c.net))
			walk(c)
		}
	}
	walk(root)
	if maxNet == 0 {
		maxNet = 1
	}
	g := &flameGraph{Width: flameWidth, BadLines: bad}
	// A frame's width is its part of the root's change: flameWidth /
	// root.abs would be infinite for a tiny (subnormal) change.
	width := func(n *flameNode) float64 { return flameWidth * (n.abs / root.abs) }
	depth := 0
	var place func(n *flameNode, x float64, d int)
	place = func(n *flameNode, x float64, d int) {
		w := width(n)
		if w < flameMinWidth {
			return
		}
		depth = max(depth, d)
		short := shortFuncName(n.name)
		g.Frames = append(g.Frames, flameFrame{
			X: px2(x), Y: px(float64(d * flameRowH)), W: px2(w),
			Fill:  flameColor(n.net, maxNet),
			Label: fitLabel(short, w),
			Name:  short,
			Title: frameTitle(n, root, scale),
			DX:    frac(x / flameWidth), DW: frac(w / flameWidth),
			Depth: d,
		})
		children := make([]*flameNode, 0, len(n.children))
		for _, c := range n.children {
			children = append(children, c)
		}
		slices.SortFunc(children, func(a, b *flameNode) int { return cmp.Compare(a.name, b.name) })
		for _, c := range children {
			place(c, x, d+1)
			x += width(c)
		}
	}
	place(root, 0, 0)
	g.Height = (depth + 1) * flameRowH
	g.Caption = fmt.Sprintf("net change %s, total change %s", scale.signed(root.net), scale.format(root.abs))
	return g
}

// flameColor is red for growth, blue for shrinkage, deeper with the size of
// the change relative to the largest; near grey when it is small.
func flameColor(net, maxNet float64) string {
	t := math.Min(1, math.Abs(net)/maxNet)
	// From a light grey (232, 232, 232) towards red (220, 38, 38) or blue
	// (37, 99, 235), at least a tint for any change.
	if net != 0 {
		t = 0.12 + 0.88*math.Sqrt(t)
	}
	to := [3]float64{220, 38, 38}
	if net < 0 {
		to = [3]float64{37, 99, 235}
	}
	var c [3]int
	for i := range c {
		c[i] = int(math.Round(232 + (to[i]-232)*t))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}

// frameTitle is a frame's tooltip: its name, its net change and how much
// changed under it, in scale ("+12.3µs/op"), with its part of all the
// change.
func frameTitle(n, root *flameNode, scale flameScale) string {
	return fmt.Sprintf("%s\nhead − base: %s\nchanged: %s (%.1f%% of all change)",
		n.name, scale.signed(n.net), scale.format(n.abs), 100*n.abs/root.abs)
}

// shortFuncName drops a function's package path, keeping its package:
// "example.com/server.(*Router).match" is "server.(*Router).match".
func shortFuncName(name string) string {
	// The last '/' before any '(' or '[' (a receiver or type parameters
	// may hold slashes of their own).
	end := len(name)
	if i := strings.IndexAny(name, "(["); i >= 0 {
		end = i
	}
	if i := strings.LastIndexByte(name[:end], '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// fitLabel shortens a frame's label to its width, or returns "" when not
// even a few characters fit.
func fitLabel(s string, w float64) string {
	n := int((w - 6) / flameCharW)
	if n < 3 {
		return ""
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func px2(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" || s == "-0" {
		return "0"
	}
	return s
}

func frac(v float64) string {
	s := strconv.FormatFloat(v, 'f', 6, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" {
		return "0"
	}
	return s
}
