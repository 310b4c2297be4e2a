package pyroscope

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/analyze"
)

// FlameGraph is a merged call tree as SelectMergeStacktraces returns it,
// with frames merged by function name. Level 0 holds the root, named
// "total", whose Total is the whole graph's; level d+1 holds the callees
// of level d's nodes, laid side by side along an x axis of sample values,
// each within the span of its caller.
//
// On the wire each level is a flat list of 4-tuples, [x offset, total,
// self, name index], the x offset counted from the end of the previous
// node of the same level. Decoding turns the offsets into absolute
// positions (Node.Start), links each node to its caller (Node.Parent),
// and checks that the graph is a tree whose values add up: every value
// non-negative, every name index in Names, each node inside its caller's
// span, and each node's total its self plus its callees' totals. The
// methods rely on these; a FlameGraph built by hand must keep them.
//
// When the graph has more nodes than the call's maxNodes, the server
// merges each node's smallest callees into one callee named "other"
// (its self its total), so "other" is then among the functions.
type FlameGraph struct {
	// Names are the function names the nodes refer to; Pyroscope puts
	// the root's, "total", first.
	Names []string
	// Levels are the nodes by depth, each level ordered by Start. An empty
	// graph, the answer for a window without data, has Total 0 and either
	// no levels or a root of 0.
	Levels [][]Node
	// Total is the sum of the graph's values: the root's Total, in the
	// profile type's sample unit (nanoseconds of CPU, bytes...).
	Total int64
	// MaxSelf is the largest Self of a node, as the server computed it.
	MaxSelf int64
}

// Node is one frame of a flame graph: a function called along one path.
type Node struct {
	// Start is the node's position on the x axis: the sum of the Totals
	// of the nodes to its left in its level, and of the gaps between
	// them.
	Start int64
	// Total is the value of the samples whose stacks pass through the
	// node; Self, of those that end in it.
	Total, Self int64
	// Name indexes FlameGraph.Names.
	Name int
	// Parent indexes the level above: the node's caller. It is -1 in
	// level 0.
	Parent int
}

// FunctionTotal is what one function costs in a flame graph.
type FunctionTotal struct {
	Name string
	// Self is the value of the samples whose stacks end in the function
	// (pprof's flat).
	Self int64
	// Total is the value of the samples whose stacks pass through the
	// function (pprof's cum), counted once per stack however often
	// recursion repeats the function in it.
	Total int64
}

// decodeFlameGraph decodes the JSON of a SelectMergeStacktracesResponse.
// An answer without a flame graph is an empty graph.
func decodeFlameGraph(b []byte) (*FlameGraph, error) {
	var resp struct {
		Flamegraph struct {
			Names  []string `json:"names"`
			Levels []struct {
				Values []int64JSON `json:"values"`
			} `json:"levels"`
			Total   int64JSON `json:"total"`
			MaxSelf int64JSON `json:"maxSelf"`
		} `json:"flamegraph"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, err
	}
	fg := resp.Flamegraph
	levels := make([][]int64JSON, len(fg.Levels))
	for i, l := range fg.Levels {
		levels[i] = l.Values
	}
	return newFlameGraph(fg.Names, levels, int64(fg.Total), int64(fg.MaxSelf))
}

// newFlameGraph decodes and checks levels in the wire's 4-tuple encoding.
func newFlameGraph(names []string, levels [][]int64JSON, total, maxSelf int64) (*FlameGraph, error) {
	if total < 0 {
		return nil, fmt.Errorf("flame graph total %d is negative", total)
	}
	if maxSelf < 0 || maxSelf > total {
		return nil, fmt.Errorf("flame graph maxSelf %d is not between 0 and the total %d", maxSelf, total)
	}
	g := &FlameGraph{Names: names, Levels: make([][]Node, len(levels)), Total: total, MaxSelf: maxSelf}
	for d, values := range levels {
		if len(values)%4 != 0 {
			return nil, fmt.Errorf("flame graph level %d has %d values, not a multiple of 4", d, len(values))
		}
		nodes := make([]Node, 0, len(values)/4)
		var end int64
		for i := 0; i < len(values); i += 4 {
			off, tot, self, name := int64(values[i]), int64(values[i+1]), int64(values[i+2]), int64(values[i+3])
			where := func() string { return fmt.Sprintf("flame graph level %d node %d", d, i/4) }
			if off < 0 || tot < 0 || self < 0 {
				return nil, fmt.Errorf("%s: negative value in [%d %d %d %d]", where(), off, tot, self, name)
			}
			if self > tot {
				return nil, fmt.Errorf("%s: self %d is more than its total %d", where(), self, tot)
			}
			if name < 0 || name >= int64(len(names)) {
				return nil, fmt.Errorf("%s: name index %d is not in the %d names", where(), name, len(names))
			}
			if off > math.MaxInt64-end || tot > math.MaxInt64-(end+off) {
				return nil, fmt.Errorf("%s: x axis overflows int64", where())
			}
			start := end + off
			end = start + tot
			nodes = append(nodes, Node{Start: start, Total: tot, Self: self, Name: int(name), Parent: -1})
		}
		g.Levels[d] = nodes
	}
	if len(g.Levels) == 0 {
		if total != 0 {
			return nil, fmt.Errorf("flame graph has a total of %d but no levels", total)
		}
		return g, nil
	}
	if n := len(g.Levels[0]); n != 1 {
		return nil, fmt.Errorf("flame graph level 0 has %d nodes, want the root alone", n)
	}
	if root := g.Levels[0][0]; root.Total != total {
		return nil, fmt.Errorf("flame graph root has a total of %d, but the graph's total is %d", root.Total, total)
	}
	for d := range g.Levels {
		if err := g.link(d); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// link finds each node of level d+1 its caller in level d, and checks
// that each node of level d is its self plus its callees.
func (g *FlameGraph) link(d int) error {
	parents := g.Levels[d]
	var children []Node
	if d+1 < len(g.Levels) {
		children = g.Levels[d+1]
	}
	sums := make([]int64, len(parents))
	j := 0
	for i := range children {
		c := &children[i]
		// Both levels are ordered and without overlaps: a node's caller
		// is the first node of the level above that does not end before
		// it starts, and the node must lie within it.
		for j < len(parents) && parents[j].Start+parents[j].Total <= c.Start && !within(*c, parents[j]) {
			j++
		}
		if j == len(parents) || !within(*c, parents[j]) {
			return fmt.Errorf("flame graph level %d node %d (%s, x %d to %d) lies outside every node of level %d",
				d+1, i, g.Names[c.Name], c.Start, c.Start+c.Total, d)
		}
		c.Parent = j
		// No overflow: the callees of a node lie side by side within it.
		sums[j] += c.Total
	}
	for j, p := range parents {
		if p.Self+sums[j] != p.Total {
			return fmt.Errorf("flame graph level %d node %d (%s): total %d is not self %d plus callees %d",
				d, j, g.Names[p.Name], p.Total, p.Self, sums[j])
		}
	}
	return nil
}

// within says whether c lies within p's span on the x axis.
func within(c, p Node) bool {
	return p.Start <= c.Start && c.Start+c.Total <= p.Start+p.Total
}

// Functions returns what each function costs, the function with the
// largest Total first (then the largest Self, then by name). Functions are
// told apart by name, and the root is not one of them; functions of no
// value are left out.
func (g *FlameGraph) Functions() []FunctionTotal {
	if len(g.Levels) < 2 {
		return nil
	}
	byName := map[string]*FunctionTotal{}
	onPath := map[string]int{} // how many nodes of the current path have the name
	// A depth-first walk, with the stack kept by hand: a flame graph may be
	// deeper than recursion should go. A node is pushed twice: entering
	// it (exit false), and leaving it once its callees are done.
	type visit struct {
		d, i int
		exit bool
	}
	first := g.firstCallees()
	stack := make([]visit, 0, 64)
	for i := len(g.Levels[1]) - 1; i >= 0; i-- {
		stack = append(stack, visit{1, i, false})
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := g.Levels[v.d][v.i]
		name := g.Names[n.Name]
		if v.exit {
			onPath[name]--
			continue
		}
		f := byName[name]
		if f == nil {
			f = &FunctionTotal{Name: name}
			byName[name] = f
		}
		f.Self += n.Self
		if onPath[name] == 0 {
			f.Total += n.Total
		}
		onPath[name]++
		stack = append(stack, visit{v.d, v.i, true})
		if v.d+1 < len(g.Levels) {
			for c := first[v.d][v.i+1] - 1; c >= first[v.d][v.i]; c-- {
				stack = append(stack, visit{v.d + 1, c, false})
			}
		}
	}
	fs := make([]FunctionTotal, 0, len(byName))
	for _, f := range byName {
		if f.Total != 0 {
			fs = append(fs, *f)
		}
	}
	slices.SortFunc(fs, func(a, b FunctionTotal) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(b.Self, a.Self), cmp.Compare(a.Name, b.Name))
	})
	return fs
}

// firstCallees returns, for each level d but the last, where each node's
// callees start in level d+1: node i's are first[d][i] up to
// first[d][i+1].
func (g *FlameGraph) firstCallees() [][]int {
	first := make([][]int, len(g.Levels)-1)
	for d := range first {
		f := make([]int, len(g.Levels[d])+1)
		for _, c := range g.Levels[d+1] {
			f[c.Parent+1]++
		}
		for i := 1; i < len(f); i++ {
			f[i] += f[i-1]
		}
		first[d] = f
	}
	return first
}

// Profile returns the flame graph as a pprof profile of type t, so that
// the analysis of perfgate's own profiles (analyze.Rank, DiffProfiles,
// Folded) applies to it: one sample for each node with a Self, its stack
// the node's path from level 1 (the root is not a frame), and one
// function and location for each name, without mappings, addresses or
// lines, which a flame graph does not have. Its sample type and period
// type are t's; its Period is 0, since a flame graph does not carry it.
// The profile's values add up to Total.
func (g *FlameGraph) Profile(t ProfileType) *profile.Profile {
	p := &profile.Profile{
		SampleType:        []*profile.ValueType{{Type: t.SampleType, Unit: t.SampleUnit}},
		PeriodType:        &profile.ValueType{Type: t.PeriodType, Unit: t.PeriodUnit},
		DefaultSampleType: t.SampleType,
	}
	locs := map[string]*profile.Location{}
	location := func(name string) *profile.Location {
		if l := locs[name]; l != nil {
			return l
		}
		id := uint64(len(p.Location) + 1)
		f := &profile.Function{ID: id, Name: name, SystemName: name}
		l := &profile.Location{ID: id, Line: []profile.Line{{Function: f}}}
		p.Function = append(p.Function, f)
		p.Location = append(p.Location, l)
		locs[name] = l
		return l
	}
	for d, level := range g.Levels {
		for _, n := range level {
			if n.Self == 0 {
				continue
			}
			// The root's own value, if it has one, is samples without a
			// stack.
			var stack []*profile.Location
			for dd, nn := d, n; dd >= 1; dd-- {
				stack = append(stack, location(g.Names[nn.Name]))
				nn = g.Levels[dd-1][nn.Parent]
			}
			p.Sample = append(p.Sample, &profile.Sample{Location: stack, Value: []int64{n.Self}})
		}
	}
	return p
}

// WriteFolded writes the flame graph as folded stacks, the input of
// Brendan Gregg's flamegraph.pl: one "caller;callee;leaf value" line per
// path whose Self is not zero, its value the Self, in byte order of the
// stacks. It is analyze.Folded of the graph's Profile, so that folded
// stacks read from Pyroscope and from perfgate's own profiles are the
// same: a ';' in a name becomes ':' and a line break a space.
func (g *FlameGraph) WriteFolded(w io.Writer) error {
	return analyze.Folded(w, g.Profile(ProfileType{SampleType: "value", SampleUnit: "count"}), "")
}
