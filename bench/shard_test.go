package bench

import (
	"fmt"
	"slices"
	"strings"
	"testing"
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
