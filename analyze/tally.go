package analyze

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// The sides of a tally: a diff's base and head, or the one side Rank
// looks at, as head.
const (
	baseSide = 0
	headSide = 1
)

// A tally counts the flat and cumulative values of the functions of one
// service's profiles, by side, as `go tool pprof -top` counts them at its
// default granularity (functions).
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

// add counts p's samples of value index vi, as pprof's
// internal/graph.newGraph counts them, on head's side; with diff, a sample
// labelled pprof::base=true (Sample.DiffBaseSample, a diff's base) counts
// on base's side, with its value as it is, negative.
func (t *tally) add(p *profile.Profile, vi int, diff bool) {
	locs := t.locations(p)
	for _, s := range p.Sample {
		v := s.Value[vi]
		side := headSide
		if diff && s.DiffBaseSample() {
			side = baseSide
		}
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

// paths returns, for each of nodes, the call path (outermost first) of
// profiles' samples whose leaf it is that has the largest sum of values:
// in a diff, where head's samples and base's negated ones add up, the
// path that carries most of its growth; in one side, most of its cost.
// Of equal paths, the first seen wins.
func (t *tally) paths(profiles []*profile.Profile, vi int, nodes []int32) [][]string {
	want := make([]int32, len(t.names)) // index in nodes + 1, or 0
	for i, n := range nodes {
		want[n] = int32(i + 1)
	}
	type path struct {
		nodes []int32
		v     int64
	}
	byHash := map[uint64][]*path{}
	var order []*path // in order of first appearance, for ties
	var stack []int32
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
			found.v += v
		}
	}
	best := make([]*path, len(nodes))
	for _, c := range order {
		i := want[c.nodes[len(c.nodes)-1]] - 1
		if best[i] == nil || c.v > best[i].v {
			best[i] = c
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
