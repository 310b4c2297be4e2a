package cpuset

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// Allowed returns the CPUs perfgate's process may run on: its main
// thread's affinity, which the machine, a cgroup's cpuset or taskset
// bound.
func Allowed() (Set, error) {
	s, err := Of(os.Getpid())
	if err != nil {
		return Set{}, fmt.Errorf("reading the CPUs perfgate may use: %w", err)
	}
	return s, nil
}

// Of returns the affinity of the thread tid (a process's main thread when
// tid is the process's id).
func Of(tid int) (Set, error) {
	var m unix.CPUSet
	if err := unix.SchedGetaffinity(tid, &m); err != nil {
		return Set{}, fmt.Errorf("reading the CPU affinity of thread %d: %w", tid, err)
	}
	return fromMask(&m), nil
}

// Pin pins every thread of process pid to s. Threads the process creates
// later inherit it from their creator.
func Pin(pid int, s Set) error {
	if s.Len() == 0 {
		return fmt.Errorf("pinning process %d: no CPUs to pin it to", pid)
	}
	m := s.mask()
	if err := eachTask(pid, func(tid int) error { return setAffinity(tid, &m) }); err != nil {
		return fmt.Errorf("pinning process %d to CPUs %s: %w", pid, s, err)
	}
	return nil
}

// RunOn runs f with perfgate's own process (every thread) pinned to s and
// GOMAXPROCS lowered to s's size if above it, then puts back each thread's
// previous affinity (a thread created meanwhile gets the main thread's
// previous one) and GOMAXPROCS, if it lowered it: the runtime's default,
// which follows the affinity, unless the GOMAXPROCS environment variable
// set it. Lowering GOMAXPROCS at once, rather than letting the runtime
// follow the affinity within its next second, keeps the driver the same
// for the whole of f; it is lowered before the pinning and put back after
// the affinity, so that the runtime's own update never sees the pinned
// affinity. It returns f's error, or else why pinning or restoring
// failed. Calls must not overlap.
func RunOn(s Set, f func() error) (err error) {
	if s.Len() == 0 {
		return fmt.Errorf("pinning perfgate: no CPUs to pin it to")
	}
	pid := os.Getpid()
	var fallback unix.CPUSet
	if err := unix.SchedGetaffinity(pid, &fallback); err != nil {
		return fmt.Errorf("pinning perfgate to CPUs %s: reading its affinity: %w", s, err)
	}
	procs, lowered := runtime.GOMAXPROCS(0), false
	if s.Len() < procs {
		runtime.GOMAXPROCS(s.Len())
		lowered = true
	}
	prev := make(map[int]unix.CPUSet)
	defer func() {
		restoreErr := eachTask(pid, func(tid int) error {
			old, ok := prev[tid]
			if !ok {
				old = fallback
			}
			return setAffinity(tid, &old)
		})
		switch {
		case !lowered:
		case os.Getenv("GOMAXPROCS") != "":
			runtime.GOMAXPROCS(procs)
		default:
			runtime.SetDefaultGOMAXPROCS()
		}
		if restoreErr != nil && err == nil {
			err = fmt.Errorf("restoring perfgate's CPU affinity: %w", restoreErr)
		}
	}()
	m := s.mask()
	err = eachTask(pid, func(tid int) error {
		var old unix.CPUSet
		if err := unix.SchedGetaffinity(tid, &old); err != nil {
			if errors.Is(err, unix.ESRCH) {
				return nil // the thread ended
			}
			return fmt.Errorf("reading the affinity of thread %d: %w", tid, err)
		}
		prev[tid] = old
		return setAffinity(tid, &m)
	})
	if err != nil {
		return fmt.Errorf("pinning perfgate to CPUs %s: %w", s, err)
	}
	return f()
}

// maxPasses bounds the passes over a process's threads: a process that
// keeps creating threads is pinned as far as the passes got (a thread
// created by one already pinned inherits the pinning anyway).
const maxPasses = 10

// eachTask calls set on every thread of process pid, listing them again
// until a pass finds no thread it has not seen.
func eachTask(pid int, set func(tid int) error) error {
	seen := make(map[int]bool)
	for range maxPasses {
		tids, err := tasks(pid)
		if err != nil {
			return err
		}
		fresh := false
		for _, tid := range tids {
			if seen[tid] {
				continue
			}
			seen[tid], fresh = true, true
			if err := set(tid); err != nil {
				return err
			}
		}
		if !fresh {
			break
		}
	}
	return nil
}

// tasks lists the threads of process pid.
func tasks(pid int) ([]int, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing the threads of process %d: %w", pid, err)
	}
	tids := make([]int, 0, len(entries))
	for _, e := range entries {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// setAffinity sets the affinity of thread tid; a thread that has ended
// meanwhile is no error.
func setAffinity(tid int, m *unix.CPUSet) error {
	if err := unix.SchedSetaffinity(tid, m); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("setting the affinity of thread %d: %w", tid, err)
	}
	return nil
}

// mask returns s as a kernel CPU mask; CPUs beyond its size are dropped.
func (s Set) mask() unix.CPUSet {
	var m unix.CPUSet
	for _, c := range s.cpus {
		m.Set(c)
	}
	return m
}

// fromMask returns the CPUs of a kernel CPU mask.
func fromMask(m *unix.CPUSet) Set {
	var s Set
	for c := range len(m) * 64 {
		if m.IsSet(c) {
			s.cpus = append(s.cpus, c)
		}
	}
	return s
}
