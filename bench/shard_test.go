package bench

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/rundir"
)

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in, want, err string
	}{
		{"1/1", "1/1", ""},
		{"2/3", "2/3", ""},
		{" 3/3 ", "3/3", ""},
		{"0/3", "", "between 1 and 3"},
		{"4/3", "", "between 1 and 3"},
		{"1/0", "", "from 1 to 256"},
		{"1/257", "", "from 1 to 256"},
		{"-1/3", "", "between 1 and 3"},
		{"2", "", "want I/N"},
		{"a/b", "", "want I/N"},
		{"1/2/3", "", "want I/N"},
		{"", "", "want I/N"},
	} {
		s, err := ParseShard(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseShard(%q) = %v, %v; want an error with %q", tt.in, s, err, tt.err)
		case tt.err == "" && (err != nil || s.String() != tt.want):
			t.Errorf("ParseShard(%q) = %v, %v; want %s", tt.in, s, err, tt.want)
		}
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"1/1", "2/3", "0/0", "256/256", "1/2/3", "x", "-1/-1", "99999999999999999999/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of more than one line: %q", err)
			}
			return
		}
		if sh.Index < 1 || sh.Index > sh.Count || sh.Count > maxShards {
			t.Errorf("ParseShard(%q) = %+v", s, sh)
		}
	})
}

func TestAssign(t *testing.T) {
	var all []string
	for p := range 3 {
		for b := range 7 {
			all = append(all, fmt.Sprintf("example.com/p%d.Benchmark%c", p, 'A'+b))
		}
	}
	shuffled := slices.Clone(all)
	slices.Reverse(shuffled)
	for _, tt := range []struct {
		name      string
		n         int
		durations map[string]float64
	}{
		{"equal", 4, nil},
		{"one shard", 1, nil},
		{"more shards than benchmarks", 30, nil},
		{"durations", 3, map[string]float64{"example.com/p0.BenchmarkA": 10, "example.com/p1.BenchmarkB": 9, "example.com/p2.BenchmarkC": 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			shares := Assign(all, tt.n, tt.durations)
			if len(shares) != tt.n {
				t.Fatalf("%d shares, want %d", len(shares), tt.n)
			}
			// Every benchmark in exactly one share, whatever the order
			// of the input.
			var got []string
			for _, s := range shares {
				if !slices.IsSorted(s) {
					t.Errorf("share %v not sorted", s)
				}
				got = append(got, s...)
			}
			slices.Sort(got)
			if !slices.Equal(got, all) {
				t.Errorf("the shares hold %v, want each of %v once", got, all)
			}
			again := Assign(shuffled, tt.n, tt.durations)
			if fmt.Sprint(again) != fmt.Sprint(shares) {
				t.Errorf("another order of the same benchmarks: %v, want %v", again, shares)
			}
			// Balanced: no share heavier than another by more than the
			// heaviest benchmark (the LPT rule's bound).
			w := func(name string) float64 {
				if d, ok := tt.durations[name]; ok {
					return d
				}
				if tt.durations != nil {
					return 9 // the median of the known ones
				}
				return 1
			}
			var loads []float64
			for _, s := range shares {
				l := 0.0
				for _, name := range s {
					l += w(name)
				}
				loads = append(loads, l)
			}
			if slices.Max(loads)-slices.Min(loads) > 10 {
				t.Errorf("loads %v: unbalanced", loads)
			}
		})
	}
	// Durations move the long ones apart.
	shares := Assign(all, 3, map[string]float64{"example.com/p0.BenchmarkA": 100, "example.com/p0.BenchmarkB": 100, "example.com/p0.BenchmarkC": 100})
	for _, s := range shares {
		n := 0
		for _, name := range s {
			if strings.HasSuffix(name, "p0.BenchmarkA") || strings.HasSuffix(name, "p0.BenchmarkB") || strings.HasSuffix(name, "p0.BenchmarkC") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("share %v holds %d of the three long benchmarks, want 1", s, n)
		}
	}
}

// TestSuiteShare: each shard keeps, on both sides, only its share of the
// union of both sides' top-level benchmarks (a benchmark new on the head
// counts too), drops the packages left empty, records the shares in
// run.json, and says when its share is empty.
func TestSuiteShare(t *testing.T) {
	sides := func() [2][]rundir.Package {
		return [2][]rundir.Package{
			{{ImportPath: "example.com/p", Benchmarks: []string{"BenchmarkA", "BenchmarkB"}}, {ImportPath: "example.com/q", Benchmarks: []string{"BenchmarkC"}}},
			{{ImportPath: "example.com/p", Benchmarks: []string{"BenchmarkA", "BenchmarkB", "BenchmarkNew"}}, {ImportPath: "example.com/q", Benchmarks: []string{"BenchmarkC"}}},
		}
	}
	all := []string{"example.com/p.BenchmarkA", "example.com/p.BenchmarkB", "example.com/p.BenchmarkNew", "example.com/q.BenchmarkC"}
	for _, tt := range []struct {
		shard      Shard
		base, head []string // the benchmarks each side keeps
		empty      bool
	}{
		{Shard{Index: 1, Count: 2}, []string{"example.com/p.BenchmarkA"}, []string{"example.com/p.BenchmarkA", "example.com/p.BenchmarkNew"}, false},
		{Shard{Index: 2, Count: 2}, []string{"example.com/p.BenchmarkB", "example.com/q.BenchmarkC"}, []string{"example.com/p.BenchmarkB", "example.com/q.BenchmarkC"}, false},
		{Shard{Index: 5, Count: 5}, nil, nil, true},
		// The longest alone in a share.
		{Shard{Index: 1, Count: 2, Durations: map[string]float64{"example.com/q.BenchmarkC": 10, "example.com/p.BenchmarkA": 1, "example.com/p.BenchmarkB": 1, "example.com/p.BenchmarkNew": 2}}, []string{"example.com/q.BenchmarkC"}, []string{"example.com/q.BenchmarkC"}, false},
	} {
		t.Run(tt.shard.String(), func(t *testing.T) {
			run, err := rundir.Create(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			s := &Sides{Info: &rundir.Info{}, Run: run}
			pkgs := sides()
			for i, name := range []string{"base", "head"} {
				s.sides[i] = &Side{Side: &rundir.Side{Name: name, Packages: pkgs[i]}}
			}
			b := &Suite{sides: s, Shard: &tt.shard}
			err = b.share()
			if tt.empty != errors.Is(err, ErrEmptyShard) || (err != nil && !tt.empty) {
				t.Fatalf("share: %v, want empty %v", err, tt.empty)
			}
			for i, want := range [][]string{tt.base, tt.head} {
				var got []string
				for _, p := range s.sides[i].Packages {
					if len(p.Benchmarks) == 0 {
						t.Errorf("%s side keeps the empty package %s", s.sides[i].Name, p.ImportPath)
					}
					for _, name := range p.Benchmarks {
						got = append(got, p.ImportPath+"."+name)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s side keeps %v, want %v", s.sides[i].Name, got, want)
				}
			}
			info, err := run.ReadInfo()
			if err != nil {
				t.Fatal(err)
			}
			if sh := info.Shard; sh == nil || !slices.Equal(sh.All, all) || sh.Index != tt.shard.Index || sh.Count != tt.shard.Count {
				t.Errorf("run.json's shard = %+v, want %s of %v", sh, tt.shard, all)
			}
		})
	}
	// No benchmark at all is not an empty shard: Prepare's error says
	// that nothing matched.
	run, err := rundir.Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := &Sides{Info: &rundir.Info{}, Run: run}
	for i, name := range []string{"base", "head"} {
		s.sides[i] = &Side{Side: &rundir.Side{Name: name}}
	}
	if err := (&Suite{sides: s, Shard: &Shard{Index: 2, Count: 3}}).share(); err != nil {
		t.Errorf("share of no benchmarks: %v", err)
	}
}
