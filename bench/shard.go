package bench

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Shard is one share of a run's benchmarks, for a CI matrix of n jobs
// (perfgate bench --shard i/n): each job runs its share, and perfgate
// merge joins them into one verdict.
type Shard struct {
	// Index is the share, from 1 to Count.
	Index, Count int
	// Durations, when known, are the seconds one round of each top-level
	// benchmark took ("importpath.BenchmarkName"), from the history: the
	// shares are balanced by them. Every job of a matrix must see the
	// same ones (the same store), or the shares would differ; perfgate
	// merge checks that they did not.
	Durations map[string]float64
}

// String is the shard as --shard takes it: "2/3".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// maxShards bounds the shards of a run: more jobs than any CI matrix holds
// (GitHub's holds 256) is a mistake.
const maxShards = 256

// ParseShard reads "i/n": share i of n, 1 <= i <= n.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	switch {
	case !ok || err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("--shard %q: want I/N, such as 2/3", s)
	case n < 1 || n > maxShards:
		return Shard{}, fmt.Errorf("--shard %q: the shards number from 1 to %d", s, maxShards)
	case i < 1 || i > n:
		return Shard{}, fmt.Errorf("--shard %q: the index must be between 1 and %d", s, n)
	}
	return Shard{Index: i, Count: n}, nil
}

// Assign shares the top-level benchmarks all ("importpath.BenchmarkName")
// among n shards, the same way on every machine: sorted by package and
// name, then, longest first, each to the shard with the least time so far
// (the earliest of equals), the longest-processing-time rule. Without
// durations every benchmark weighs the same, which deals them round-robin
// in sorted order; a benchmark without a duration weighs the median of
// the known ones. Each shard's share comes back sorted.
func Assign(all []string, n int, durations map[string]float64) [][]string {
	names := slices.Clone(all)
	slices.Sort(names)
	names = slices.Compact(names)
	var known []float64
	for _, name := range names {
		if d, ok := durations[name]; ok && d > 0 {
			known = append(known, d)
		}
	}
	typical := 1.0
	if len(known) > 0 {
		slices.Sort(known)
		typical = known[len(known)/2]
	}
	weight := func(name string) float64 {
		if d, ok := durations[name]; ok && d > 0 {
			return d
		}
		return typical
	}
	// Stable: equal weights keep the sorted order.
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(weight(b), weight(a)) })
	shares := make([][]string, n)
	load := make([]float64, n)
	for _, name := range names {
		least := 0
		for s := 1; s < n; s++ {
			if load[s] < load[least] {
				least = s
			}
		}
		shares[least] = append(shares[least], name)
		load[least] += weight(name)
	}
	for _, s := range shares {
		slices.Sort(s)
	}
	return shares
}
