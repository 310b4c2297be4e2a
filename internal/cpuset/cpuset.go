// Package cpuset splits the CPUs perfgate may use between its load driver
// and the services it measures, and pins processes to them, so that on a
// small machine the driver's work is not taken from the services' CPUs
// (config pin_cpus). Linux only: elsewhere Allowed fails and nothing is
// pinned.
//
// Affinity is per thread on Linux (sched_setaffinity); a thread created
// later inherits its creator's. Pinning a process therefore sets every
// thread listed in /proc/PID/task, and lists them again until a pass finds
// none it had not set, so that a thread created meanwhile by one not yet
// set is caught too.
package cpuset

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Set is a set of CPUs, by number. The zero Set is empty.
type Set struct {
	cpus []int // ascending, no duplicates
}

// New returns the set of cpus (negative numbers are dropped).
func New(cpus ...int) Set {
	var s Set
	for _, c := range cpus {
		if c >= 0 {
			s.cpus = append(s.cpus, c)
		}
	}
	slices.Sort(s.cpus)
	s.cpus = slices.Compact(s.cpus)
	return s
}

// CPUs returns the set's CPUs in ascending order.
func (s Set) CPUs() []int { return slices.Clone(s.cpus) }

// Len returns the number of CPUs in the set.
func (s Set) Len() int { return len(s.cpus) }

// Equal reports whether s and t hold the same CPUs.
func (s Set) Equal(t Set) bool { return slices.Equal(s.cpus, t.cpus) }

// String returns the set as a Linux CPU list, as /proc/PID/status's
// Cpus_allowed_list and taskset -c write it: "0", "1-3", "0,2-3"; "" for
// the empty set.
func (s Set) String() string {
	var b strings.Builder
	for i := 0; i < len(s.cpus); {
		j := i
		for j+1 < len(s.cpus) && s.cpus[j+1] == s.cpus[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(s.cpus[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(s.cpus[j]))
		}
		i = j + 1
	}
	return b.String()
}

// maxCPU bounds the CPU numbers Parse accepts: far above any machine's, so
// that "0-999999999" is an error rather than a huge allocation.
const maxCPU = 1 << 16

// Parse reads a Linux CPU list ("0-3,5"; spaces around items allowed; ""
// is the empty set).
func Parse(list string) (Set, error) {
	var cpus []int
	if strings.TrimSpace(list) == "" {
		return Set{}, nil
	}
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := cpuNumber(lo)
		if err != nil {
			return Set{}, fmt.Errorf("reading CPU list %q: %w", list, err)
		}
		b := a
		if isRange {
			if b, err = cpuNumber(hi); err != nil {
				return Set{}, fmt.Errorf("reading CPU list %q: %w", list, err)
			}
			if b < a {
				return Set{}, fmt.Errorf("reading CPU list %q: range %s ends before it starts", list, item)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return New(cpus...), nil
}

// cpuNumber reads one CPU number.
func cpuNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("%q is not a CPU number", s)
	}
	if n >= maxCPU {
		return 0, fmt.Errorf("CPU %d is beyond %d", n, maxCPU-1)
	}
	return n, nil
}

// Split divides allowed between the load driver and the services: the
// driver gets about a quarter of the CPUs (at least 1), the highest
// numbered, and the services the rest; on 2 CPUs, one each. ok is false
// when allowed has fewer than 2 CPUs: there is nothing to split.
func Split(allowed Set) (driver, services Set, ok bool) {
	n := allowed.Len()
	if n < 2 {
		return Set{}, Set{}, false
	}
	d := max(1, n/4)
	return Set{cpus: slices.Clone(allowed.cpus[n-d:])}, Set{cpus: slices.Clone(allowed.cpus[:n-d])}, true
}
