package analyze

// Hot functions: which functions explain a result, from its profiles.
//
// The steps, for each side and each service:
//
//  1. Check the profiles: at least one, valid (profile.CheckValid), one
//     list of sample types on both sides, work > 0.
//  2. Pick the sample type as pprof does (Profile.SampleIndexByName: a
//     name, or "" for DefaultSampleType, else the last).
//  3. Attribute each sample as `go tool pprof -top` does at its default
//     granularity, functions (internal/graph.newGraph after
//     Profile.Aggregate(inlines, functions only)): its frames are the lines
//     of its locations, innermost inlined function first, and a frame is
//     its function's name; the flat value goes to the first frame (the leaf,
//     innermost inlined function of the first location), and the
//     cumulative value to every function of the stack once per sample,
//     however often recursion repeats it.
//  4. Divide by the work the profiles cover, so that sides of different
//     lengths or rates compare per unit of work (per benchmark iteration,
//     per request), never per second.
//  5. Order as pprof's FlatNameOrder (internal/graph.Nodes.Sort): by
//     absolute flat value, then by name, then by absolute cumulative value;
//     for Diff, by growth of flat cost per unit of work, then by name.
//
// Profiles are values here: reading files is profiler.Load's job.

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// Hot is a function that explains part of a result: an entry of a verdict
// result's "hot" list.
type Hot struct {
	Function string `json:"function"`
	// Service is the service the function ran in, for profiles from load.
	Service string `json:"service,omitempty"`
	// Base and Head are the flat cost per unit of work, in Unit, on each
	// side. Rank, which looks at one side, fills Head and HeadCum only.
	Base float64 `json:"base"`
	Head float64 `json:"head"`
	// BaseCum and HeadCum are the cumulative cost per unit of work: the
	// function and everything it calls.
	BaseCum float64 `json:"base_cum"`
	HeadCum float64 `json:"head_cum"`
	// Share is the function's part of the growth in flat cost:
	// (Head-Base) / (the sum of Head-Base over the functions that grew),
	// between 0 and 1. For Rank (one side), it is the function's part of
	// the total (pprof's flat%).
	Share float64 `json:"share"`
	// Unit is the sample unit per unit of work: "ns/op", "B/op",
	// "objects/op", "count/op".
	Unit string `json:"unit"`
	// Path is a call path that reaches the function, outermost first and
	// ending with the function: for Diff the one that carries most of its
	// growth, for Rank the one that carries most of its flat cost.
	Path []string `json:"path,omitempty"`
}

// ProfileSide is one side's profiles behind a result: the profiles of one
// benchmark, or of one service during a load scenario, and the work they
// cover.
type ProfileSide struct {
	Service string
	// Profiles are counted together, as profile.Merge would merge them
	// (over rounds, say). They must have the same sample types.
	Profiles []*profile.Profile
	// Work is the units of work the profiles cover together: benchmark
	// iterations, requests. It must be > 0 (at least 1e-9) and finite.
	Work float64
}

// HotOptions select what Rank and Diff report.
type HotOptions struct {
	// SampleType is the name of the sample type to rank by: "cpu",
	// "samples", "alloc_space", "alloc_objects", "inuse_space",
	// "inuse_objects"... "" means the profile's default, as pprof picks
	// it: DefaultSampleType, else the last.
	SampleType string
	// Top is how many functions to return; 0 means all.
	Top int
}

// Rank returns the functions of one side by flat cost per unit of work,
// highest first, in the order of `go tool pprof -top`: by absolute flat
// value, then by name, then by absolute cumulative value. Flat cost is
// attributed to the leaf frame (the innermost inlined function of a
// sample's first location) and cumulative cost to each function of a
// stack once per sample. Functions whose flat and cumulative values are
// both zero are left out, as pprof leaves them out. The values go in Head
// and HeadCum; Share is the part of the side's total (pprof's flat%).
//
// A location without symbols is named by its address, "0x4a2f10" (pprof's
// -top at function granularity would lump all of a binary's unsymbolized
// addresses into one "[binary]" line); Symbolized tells whether a profile
// has symbols, and a caller should say "profile has no symbols" when it
// has not.
func Rank(side ProfileSide, opts HotOptions) ([]Hot, error) {
	if opts.Top < 0 {
		return nil, fmt.Errorf("ranking hot functions: top %d is negative", opts.Top)
	}
	types, err := checkProfileSide(profileSideLabel("profile", side.Service), side)
	if err != nil {
		return nil, err
	}
	vi, err := hotSampleIndex(types, defaultSampleTypeOf(side.Profiles), opts.SampleType)
	if err != nil {
		return nil, err
	}
	t := newTally()
	for _, p := range side.Profiles {
		t.add(p, 0, vi)
	}
	nodes := make([]int32, 0, len(t.names))
	for n := range t.names {
		if t.flat[n][0] != 0 || t.cum[n][0] != 0 {
			nodes = append(nodes, int32(n))
		}
	}
	slices.SortFunc(nodes, func(a, b int32) int {
		if c := cmp.Compare(abs64(t.flat[b][0]), abs64(t.flat[a][0])); c != 0 {
			return c
		}
		if c := strings.Compare(t.names[a], t.names[b]); c != 0 {
			return c
		}
		return cmp.Compare(abs64(t.cum[b][0]), abs64(t.cum[a][0]))
	})
	if opts.Top > 0 && len(nodes) > opts.Top {
		nodes = nodes[:opts.Top]
	}
	work := [2]float64{side.Work, side.Work}
	paths := t.paths(nil, side.Profiles, vi, nodes, work)
	unit := hotUnit(types[vi])
	hot := make([]Hot, len(nodes))
	for i, n := range nodes {
		share := 0.0
		if t.total[0] != 0 {
			share = float64(t.flat[n][0]) / float64(t.total[0])
		}
		hot[i] = Hot{
			Function: t.names[n],
			Service:  side.Service,
			Head:     float64(t.flat[n][0]) / side.Work,
			HeadCum:  float64(t.cum[n][0]) / side.Work,
			Share:    share,
			Unit:     unit,
			Path:     paths[i],
		}
	}
	return hot, nil
}

// Diff returns the functions whose flat cost per unit of work grew the
// most from base to head, largest growth first (then by name); functions
// that shrank or did not change are left out. Each comes with its Share of
// the growth and the call path that carries most of its growth.
//
// Sides are matched by Service, and a function is keyed by (Service,
// name); several sides of one service on one side of the comparison count
// together (their profiles and their work). A service profiled on one side
// only counts as costing nothing on the other: all of a new service is
// growth. The Shares of several services add up only when their Work is
// the same unit (the requests of one load scenario).
//
// Costs compare per unit of work, never as raw totals: a fixed-window
// profile of a slower head shows unchanged functions as cheaper per
// second; per unit of work they are not.
func Diff(base, head []ProfileSide, opts HotOptions) ([]Hot, error) {
	if opts.Top < 0 {
		return nil, fmt.Errorf("diffing hot functions: top %d is negative", opts.Top)
	}
	if len(base) == 0 {
		return nil, fmt.Errorf("diffing hot functions: no base profiles")
	}
	if len(head) == 0 {
		return nil, fmt.Errorf("diffing hot functions: no head profiles")
	}
	type service struct {
		name  string
		sides [2]ProfileSide
		t     *tally
	}
	var services []*service
	byName := map[string]*service{}
	var types []*profile.ValueType
	var typesOf string
	var defaults []*profile.Profile // head's profiles first: pprof's -diff_base takes head's DefaultSampleType
	for s, sides := range [2][]ProfileSide{base, head} {
		label := [2]string{"base", "head"}[s]
		for _, side := range sides {
			what := profileSideLabel(label, side.Service)
			ts, err := checkProfileSide(what, side)
			if err != nil {
				return nil, err
			}
			if types == nil {
				types, typesOf = ts, what
			} else if !sameSampleTypes(types, ts) {
				return nil, fmt.Errorf("diffing hot functions: %s has %s; %s has %s", typesOf, formatSampleTypes(types), what, formatSampleTypes(ts))
			}
			sv := byName[side.Service]
			if sv == nil {
				sv = &service{name: side.Service}
				byName[side.Service] = sv
				services = append(services, sv)
			}
			sv.sides[s].Profiles = slices.Concat(sv.sides[s].Profiles, side.Profiles)
			sv.sides[s].Work += side.Work
		}
	}
	for _, side := range head {
		defaults = append(defaults, side.Profiles...)
	}
	for _, side := range base {
		defaults = append(defaults, side.Profiles...)
	}
	vi, err := hotSampleIndex(types, defaultSampleTypeOf(defaults), opts.SampleType)
	if err != nil {
		return nil, err
	}

	type entry struct {
		sv     *service
		node   int32
		growth float64
	}
	var entries []entry
	var growth float64
	for _, sv := range services {
		sv.t = newTally()
		for s := range 2 {
			for _, p := range sv.sides[s].Profiles {
				sv.t.add(p, s, vi)
			}
		}
		for n := range sv.t.names {
			g := sv.t.perWork(int32(n), 1, sv.sides[1].Work) - sv.t.perWork(int32(n), 0, sv.sides[0].Work)
			if g > 0 {
				growth += g
				entries = append(entries, entry{sv, int32(n), g})
			}
		}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := cmp.Compare(b.growth, a.growth); c != 0 {
			return c
		}
		if c := strings.Compare(a.sv.t.names[a.node], b.sv.t.names[b.node]); c != 0 {
			return c
		}
		return strings.Compare(a.sv.name, b.sv.name)
	})
	if opts.Top > 0 && len(entries) > opts.Top {
		entries = entries[:opts.Top]
	}
	// Shares are parts of the growth, not of the net change: with other
	// functions cheaper (or noise), a share of the net change exceeds 1
	// and reads as nonsense.
	denominator := growth

	// The call paths of the functions kept, service by service.
	paths := make([][]string, len(entries))
	for _, sv := range services {
		var nodes []int32
		var at []int
		for i, e := range entries {
			if e.sv == sv {
				nodes = append(nodes, e.node)
				at = append(at, i)
			}
		}
		if len(nodes) == 0 {
			continue
		}
		work := [2]float64{sv.sides[0].Work, sv.sides[1].Work}
		ps := sv.t.paths(sv.sides[0].Profiles, sv.sides[1].Profiles, vi, nodes, work)
		for j, i := range at {
			paths[i] = ps[j]
		}
	}

	unit := hotUnit(types[vi])
	hot := make([]Hot, len(entries))
	for i, e := range entries {
		t, n := e.sv.t, e.node
		hot[i] = Hot{
			Function: t.names[n],
			Service:  e.sv.name,
			Base:     t.perWork(n, 0, e.sv.sides[0].Work),
			Head:     t.perWork(n, 1, e.sv.sides[1].Work),
			BaseCum:  perWork(t.cum[n][0], e.sv.sides[0].Work),
			HeadCum:  perWork(t.cum[n][1], e.sv.sides[1].Work),
			Share:    e.growth / denominator,
			Unit:     unit,
			Path:     paths[i],
		}
	}
	return hot, nil
}

// NormalizedBase returns base's profiles merged (profile.Merge) and scaled
// to head's work (Profile.Scale by head.Work/base.Work), so that
//
//	go tool pprof -top -diff_base base.pb.gz head.pb.gz
//
// with this profile as base.pb.gz and head's profiles merged as head.pb.gz
// shows what Diff shows. The inputs are not modified.
func NormalizedBase(base, head ProfileSide) (*profile.Profile, error) {
	b, _, err := normalizedBase(base, head)
	return b, err
}

func normalizedBase(base, head ProfileSide) (*profile.Profile, []*profile.ValueType, error) {
	bt, err := checkProfileSide(profileSideLabel("base", base.Service), base)
	if err != nil {
		return nil, nil, err
	}
	ht, err := checkProfileSide(profileSideLabel("head", head.Service), head)
	if err != nil {
		return nil, nil, err
	}
	if !sameSampleTypes(bt, ht) {
		return nil, nil, fmt.Errorf("diffing profiles: base has %s; head has %s", formatSampleTypes(bt), formatSampleTypes(ht))
	}
	b, err := profile.Merge(base.Profiles)
	if err != nil {
		return nil, nil, fmt.Errorf("merging base profiles: %w", err)
	}
	b.Scale(head.Work / base.Work)
	return b, ht, nil
}

// DiffProfile returns head minus base as one pprof profile, the profile
// `go tool pprof -diff_base` builds (internal/driver.fetchProfiles): base
// scaled to head's work (head.Work/base.Work, see NormalizedBase), its
// samples labelled pprof::base=true, Scale(-1), then merged with head
// (profile.Merge, head first). Its default sample type is sampleType ("":
// head's default, as pprof picks it), so that `go tool pprof` opens it on
// that type; its values are in head's units of work (head.Work operations).
func DiffProfile(base, head ProfileSide, sampleType string) (*profile.Profile, error) {
	b, types, err := normalizedBase(base, head)
	if err != nil {
		return nil, err
	}
	vi, err := hotSampleIndex(types, defaultSampleTypeOf(append(slices.Clip(head.Profiles), base.Profiles...)), sampleType)
	if err != nil {
		return nil, err
	}
	b.SetLabel("pprof::base", []string{"true"})
	b.Scale(-1)
	h, err := profile.Merge(head.Profiles)
	if err != nil {
		return nil, fmt.Errorf("merging head profiles: %w", err)
	}
	d, err := profile.Merge([]*profile.Profile{h, b})
	if err != nil {
		return nil, fmt.Errorf("merging head with base: %w", err)
	}
	d.DefaultSampleType = types[vi].Type
	return d, nil
}

// Folded writes p's samples of sampleType ("": the default, as pprof picks
// it) as folded stacks, Brendan Gregg's input to flame graphs: one
// "root;caller;leaf value" line per distinct stack of function names,
// outermost first, in byte order of the stacks. Frames are named as Rank
// names them (inlined functions are frames of their own); a ';' in a name
// becomes ':' and a line break a space, so that the format holds. A stack
// whose values add up to zero is left out; the values of the lines add up
// to the sum of the profile's values (negative for a diff's base).
func Folded(w io.Writer, p *profile.Profile, sampleType string) error {
	if p == nil {
		return fmt.Errorf("folding stacks: no profile")
	}
	if err := p.CheckValid(); err != nil {
		return fmt.Errorf("folding stacks: invalid profile: %w", err)
	}
	if len(p.SampleType) == 0 {
		return fmt.Errorf("folding stacks: profile has no sample types")
	}
	vi, err := hotSampleIndex(p.SampleType, p.DefaultSampleType, sampleType)
	if err != nil {
		return err
	}
	t := newTally()
	locs := t.locations(p)
	sums := map[string]int64{}
	var frames []string
	for _, s := range p.Sample {
		v := s.Value[vi]
		if v == 0 {
			continue
		}
		frames = frames[:0]
		for i := len(s.Location) - 1; i >= 0; i-- {
			for _, n := range locs.nodes(s.Location[i]) {
				frames = append(frames, foldedName(t.names[n]))
			}
		}
		if len(frames) == 0 {
			frames = append(frames, "<unknown>")
		}
		sums[strings.Join(frames, ";")] += v
	}
	stacks := make([]string, 0, len(sums))
	for s, v := range sums {
		if v != 0 {
			stacks = append(stacks, s)
		}
	}
	slices.Sort(stacks)
	bw := bufio.NewWriter(w)
	for _, s := range stacks {
		fmt.Fprintf(bw, "%s %d\n", s, sums[s])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing folded stacks: %w", err)
	}
	return nil
}

var foldedEscaper = strings.NewReplacer(";", ":", "\n", " ", "\r", " ")

// foldedName is a function's name as a frame of a folded stack, which a
// ';' or a line break in it would break: a Go function instantiated with
// a struct type has both spaces and ';' in its name,
// "slices.insertionSortCmpFunc[go.shape.struct { net/http.key string;
// net/http.values []string }]".
func foldedName(name string) string {
	if strings.ContainsAny(name, ";\n\r") {
		return foldedEscaper.Replace(name)
	}
	return name
}

// Symbolized reports whether p's locations name their functions. It is
// false when some location has no function name (a profile written without
// symbols, or whose binary was stripped), except a location in a kernel
// pseudo-mapping such as [vdso] or [vsyscall], which no binary symbolizes.
// Rank and Diff name such locations by address ("0x4a2f10"); a caller
// should add a note saying "profile has no symbols" when this is false.
func Symbolized(p *profile.Profile) bool {
	for _, l := range p.Location {
		if l == nil || frameName(l) != "" {
			continue
		}
		if m := l.Mapping; m != nil && strings.HasPrefix(m.File, "[") {
			continue
		}
		return false
	}
	return true
}

// frameName returns the name of l's innermost function, or "" if it has
// none.
func frameName(l *profile.Location) string {
	for _, ln := range l.Line {
		if ln.Function != nil && ln.Function.Name != "" {
			return ln.Function.Name
		}
	}
	return ""
}

// A tally counts the flat and cumulative values of the functions of one
// service, on two sides.
type tally struct {
	index map[string]int32
	names []string
	flat  [][2]int64
	cum   [][2]int64
	// total is the sum of the absolute sample values of each side, the
	// total of pprof's percentages.
	total [2]int64
	// seen[n] == stamp when node n was counted in the current sample.
	seen  []uint64
	stamp uint64
	// locs are the frames of each profile's locations.
	locs map[*profile.Profile]*locTable
}

func newTally() *tally {
	return &tally{index: map[string]int32{}, locs: map[*profile.Profile]*locTable{}}
}

func (t *tally) intern(name string) int32 {
	if n, ok := t.index[name]; ok {
		return n
	}
	n := int32(len(t.names))
	t.index[name] = n
	t.names = append(t.names, name)
	t.flat = append(t.flat, [2]int64{})
	t.cum = append(t.cum, [2]int64{})
	t.seen = append(t.seen, 0)
	return n
}

func (t *tally) perWork(n int32, side int, work float64) float64 {
	return perWork(t.flat[n][side], work)
}

func perWork(v int64, work float64) float64 {
	if work == 0 {
		return 0
	}
	return float64(v) / work
}

// add counts p's samples of value index vi on side, as pprof's
// internal/graph.newGraph counts them.
func (t *tally) add(p *profile.Profile, side, vi int) {
	locs := t.locations(p)
	for _, s := range p.Sample {
		v := s.Value[vi]
		t.total[side] += abs64(v)
		if v == 0 || len(s.Location) == 0 {
			continue
		}
		t.stamp++
		var ns []int32
		for i := len(s.Location) - 1; i >= 0; i-- {
			ns = locs.nodes(s.Location[i])
			for _, n := range ns {
				if t.seen[n] != t.stamp {
					t.seen[n] = t.stamp
					t.cum[n][side] += v
				}
			}
		}
		t.flat[ns[len(ns)-1]][side] += v // ns are the leaf's frames
	}
}

// paths returns, for each of nodes, the call path (outermost first) of the
// samples whose leaf it is that has the largest value per unit of work on
// head (side 1) minus base (side 0): the path that carries most of its
// growth, or with no base most of its cost.
func (t *tally) paths(base, head []*profile.Profile, vi int, nodes []int32, work [2]float64) [][]string {
	want := make([]int32, len(t.names)) // index in nodes + 1, or 0
	for i, n := range nodes {
		want[n] = int32(i + 1)
	}
	type path struct {
		nodes []int32
		v     [2]int64
	}
	byHash := map[uint64][]*path{}
	var order []*path // in order of first appearance, for ties
	var stack []int32
	for side, profiles := range [2][]*profile.Profile{base, head} {
		for _, p := range profiles {
			locs := t.locations(p)
			for _, s := range p.Sample {
				v := s.Value[vi]
				if v == 0 || len(s.Location) == 0 {
					continue
				}
				leaf := locs.nodes(s.Location[0])
				if want[leaf[len(leaf)-1]] == 0 {
					continue
				}
				stack = stack[:0]
				h := uint64(14695981039346656037) // FNV-1a
				for i := len(s.Location) - 1; i >= 0; i-- {
					for _, n := range locs.nodes(s.Location[i]) {
						stack = append(stack, n)
						h = (h ^ uint64(uint32(n))) * 1099511628211
					}
				}
				var found *path
				for _, c := range byHash[h] {
					if slices.Equal(c.nodes, stack) {
						found = c
						break
					}
				}
				if found == nil {
					found = &path{nodes: slices.Clone(stack)}
					byHash[h] = append(byHash[h], found)
					order = append(order, found)
				}
				found.v[side] += v
			}
		}
	}
	best := make([]*path, len(nodes))
	bestV := make([]float64, len(nodes))
	for _, c := range order {
		i := want[c.nodes[len(c.nodes)-1]] - 1
		g := perWork(c.v[1], work[1]) - perWork(c.v[0], work[0])
		if best[i] == nil || g > bestV[i] {
			best[i], bestV[i] = c, g
		}
	}
	out := make([][]string, len(nodes))
	for i, c := range best {
		if c == nil {
			continue
		}
		out[i] = make([]string, len(c.nodes))
		for j, n := range c.nodes {
			out[i][j] = t.names[n]
		}
	}
	return out
}

// locTable maps the locations of one profile to their frames, as node
// indexes, outermost (the caller into which the others were inlined)
// first.
type locTable struct {
	t      *tally
	byID   [][]int32 // by Location.ID, when IDs are dense
	locs   []*profile.Location
	sparse map[*profile.Location][]int32
}

func (t *tally) locations(p *profile.Profile) *locTable {
	if lt := t.locs[p]; lt != nil {
		return lt
	}
	lt := &locTable{t: t}
	t.locs[p] = lt
	n := len(p.Location)
	dense := true
	for _, l := range p.Location {
		if l.ID > uint64(2*n+16) {
			dense = false
			break
		}
	}
	if dense {
		lt.byID = make([][]int32, 2*n+17)
		lt.locs = make([]*profile.Location, 2*n+17)
	}
	return lt
}

func (lt *locTable) nodes(l *profile.Location) []int32 {
	if id := l.ID; id < uint64(len(lt.byID)) && lt.locs[id] == l {
		return lt.byID[id] // the common case, inlined
	}
	return lt.slowNodes(l)
}

func (lt *locTable) slowNodes(l *profile.Location) []int32 {
	if id := l.ID; id < uint64(len(lt.byID)) && lt.locs[id] == nil {
		ns := lt.t.frames(l)
		lt.byID[id], lt.locs[id] = ns, l
		return ns
	}
	if ns, ok := lt.sparse[l]; ok {
		return ns
	}
	ns := lt.t.frames(l)
	if lt.sparse == nil {
		lt.sparse = map[*profile.Location][]int32{}
	}
	lt.sparse[l] = ns
	return ns
}

// frames returns l's frames, outermost first: one per line, named by its
// function, or one named by l's address when l has no symbols. The last is
// the frame that gets a sample's flat value when l is its leaf.
func (t *tally) frames(l *profile.Location) []int32 {
	ns := make([]int32, 0, max(len(l.Line), 1))
	var addr int32 = -1
	for i := len(l.Line) - 1; i >= 0; i-- {
		var n int32
		if f := l.Line[i].Function; f != nil && f.Name != "" {
			n = t.intern(f.Name)
		} else {
			if addr < 0 {
				addr = t.intern(addressName(l))
			}
			n = addr
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		ns = append(ns, t.intern(addressName(l)))
	}
	return ns
}

// addressName names a location without symbols.
func addressName(l *profile.Location) string {
	if l.Address != 0 {
		return fmt.Sprintf("0x%x", l.Address)
	}
	if m := l.Mapping; m != nil && m.File != "" {
		f := m.File
		if i := strings.LastIndexAny(f, `/\`); i >= 0 {
			f = f[i+1:]
		}
		return "[" + strings.TrimSuffix(strings.TrimPrefix(f, "["), "]") + "]"
	}
	return "<unknown>"
}

// minWork is the least work a side may cover.
const minWork = 1e-9

// checkProfileSide checks one side's profiles and returns their sample types.
func checkProfileSide(what string, side ProfileSide) ([]*profile.ValueType, error) {
	if len(side.Profiles) == 0 {
		return nil, fmt.Errorf("%s: no profiles", what)
	}
	if !(side.Work > 0) || math.IsInf(side.Work, 1) {
		return nil, fmt.Errorf("%s: work %v is not a positive number of operations", what, side.Work)
	}
	if side.Work < minWork {
		// Values per unit of work could overflow to infinity, which
		// JSON cannot carry.
		return nil, fmt.Errorf("%s: work %v is too small, under %v operations", what, side.Work, minWork)
	}
	var types []*profile.ValueType
	for i, p := range side.Profiles {
		if p == nil {
			return nil, fmt.Errorf("%s: profile %d of %d is nil", what, i+1, len(side.Profiles))
		}
		if err := p.CheckValid(); err != nil {
			return nil, fmt.Errorf("%s: profile %d of %d is invalid: %w", what, i+1, len(side.Profiles), err)
		}
		if len(p.SampleType) == 0 {
			return nil, fmt.Errorf("%s: profile %d of %d has no sample types", what, i+1, len(side.Profiles))
		}
		if i == 0 {
			types = p.SampleType
		} else if !sameSampleTypes(types, p.SampleType) {
			return nil, fmt.Errorf("%s: profile 1 has %s; profile %d has %s", what, formatSampleTypes(types), i+1, formatSampleTypes(p.SampleType))
		}
	}
	return types, nil
}

func profileSideLabel(side, service string) string {
	if service == "" {
		return side
	}
	return fmt.Sprintf("%s of service %q", side, service)
}

func sameSampleTypes(a, b []*profile.ValueType) bool {
	return slices.EqualFunc(a, b, func(x, y *profile.ValueType) bool {
		return x.Type == y.Type && x.Unit == y.Unit
	})
}

func formatSampleTypes(types []*profile.ValueType) string {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = t.Type + "/" + t.Unit
	}
	return strings.Join(s, ", ")
}

// defaultSampleTypeOf is the default sample type of profiles merged in this
// order: the first that names one (profile.Merge's rule).
func defaultSampleTypeOf(profiles []*profile.Profile) string {
	for _, p := range profiles {
		if p != nil && p.DefaultSampleType != "" {
			return p.DefaultSampleType
		}
	}
	return ""
}

// hotSampleIndex picks the sample type name among types as pprof's
// -sample_index does (Profile.SampleIndexByName).
func hotSampleIndex(types []*profile.ValueType, defaultType, name string) (int, error) {
	if len(types) == 0 {
		return 0, fmt.Errorf("profile has no sample types")
	}
	p := &profile.Profile{SampleType: types, DefaultSampleType: defaultType}
	i, err := p.SampleIndexByName(name)
	if err != nil {
		names := make([]string, len(types))
		for i, t := range types {
			names[i] = t.Type
		}
		return 0, fmt.Errorf("no sample type %q in the profiles, which have %s", name, strings.Join(names, ", "))
	}
	return i, nil
}

// hotUnit is the unit of a sample type per unit of work.
func hotUnit(t *profile.ValueType) string {
	u := t.Unit
	switch strings.ToLower(u) {
	case "nanoseconds", "nanosecond", "ns":
		u = "ns"
	case "bytes", "byte", "b":
		u = "B"
	case "count", "":
		if strings.HasSuffix(t.Type, "objects") {
			u = "objects"
		} else {
			u = "count"
		}
	}
	return u + "/op"
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
