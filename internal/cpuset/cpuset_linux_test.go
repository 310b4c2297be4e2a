package cpuset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// helperEnv, set to 1, makes the test binary a helper process with many
// threads: it prints "ready", and on each line of its standard input
// starts 3 more threads and prints "more". It ends when its input closes.
const helperEnv = "PERFGATE_CPUSET_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		helper()
		return
	}
	os.Exit(m.Run())
}

func helper() {
	// grow locks goroutines to their threads, each parked for good,
	// until the process has n threads more: a locked goroutine keeps its
	// thread, so the next one needs another.
	grow := func(n int) {
		count := func() int {
			tids, err := tasks(os.Getpid())
			if err != nil {
				panic(err)
			}
			return len(tids)
		}
		want := count() + n
		for range 100 {
			if count() >= want {
				return
			}
			started := make(chan struct{})
			go func() {
				runtime.LockOSThread()
				close(started)
				select {}
			}()
			<-started
		}
		panic("the helper's threads do not grow")
	}
	grow(3)
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		grow(3)
		fmt.Println("more")
	}
}

// needCPUs skips the test on a machine where perfgate may use fewer than 2
// CPUs, and returns the CPUs it may use.
func needCPUs(t *testing.T) Set {
	t.Helper()
	allowed, err := Allowed()
	if err != nil {
		t.Fatal(err)
	}
	if allowed.Len() < 2 {
		t.Skipf("the machine lets this process use CPUs %s: nothing to pin to separate CPUs", allowed)
	}
	return allowed
}

// affinities returns each thread's affinity in process pid, and checks
// that /proc/PID/status says the main thread's.
func affinities(t *testing.T, pid int) map[int]Set {
	t.Helper()
	tids, err := tasks(pid)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[int]Set)
	for _, tid := range tids {
		s, err := Of(tid)
		if err != nil {
			continue // the thread ended
		}
		out[tid] = s
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for l := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
			s, err := Parse(v)
			if err != nil {
				t.Fatal(err)
			}
			if main, ok := out[pid]; ok && !s.Equal(main) {
				t.Errorf("/proc/%d/status says Cpus_allowed_list %s, sched_getaffinity %s", pid, s, main)
			}
		}
	}
	return out
}

// checkAll fails unless every thread of pid is pinned to want.
func checkAll(t *testing.T, pid int, want Set, minThreads int) {
	t.Helper()
	got := affinities(t, pid)
	if len(got) < minThreads {
		t.Errorf("process %d has %d threads, want at least %d", pid, len(got), minThreads)
	}
	for tid, s := range got {
		if !s.Equal(want) {
			t.Errorf("thread %d of process %d on CPUs %s, want %s", tid, pid, s, want)
		}
	}
}

func TestPin(t *testing.T) {
	allowed := needCPUs(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	lines := bufio.NewScanner(stdout)
	expect := func(want string) {
		t.Helper()
		if !lines.Scan() || lines.Text() != want {
			t.Fatalf("helper said %q (%v), want %q", lines.Text(), lines.Err(), want)
		}
	}
	expect("ready")
	pid := cmd.Process.Pid
	before := affinities(t, pid)
	if len(before) < 4 {
		t.Fatalf("the helper has %d threads, want at least 4", len(before))
	}
	for tid, s := range before {
		if !s.Equal(allowed) {
			t.Errorf("before pinning, thread %d on CPUs %s, want all of %s", tid, s, allowed)
		}
	}

	one := New(allowed.CPUs()[0])
	if err := Pin(pid, one); err != nil {
		t.Fatal(err)
	}
	checkAll(t, pid, one, len(before))

	// Threads created after pinning inherit it.
	io.WriteString(stdin, "more\n")
	expect("more")
	checkAll(t, pid, one, len(before)+3)

	// Pinned again, elsewhere: every thread moves.
	rest := New(allowed.CPUs()[1:]...)
	if err := Pin(pid, rest); err != nil {
		t.Fatal(err)
	}
	checkAll(t, pid, rest, len(before)+3)

	stdin.Close()
	cmd.Wait()
	err = Pin(pid, one)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("pinning process %d to CPUs %s", pid, one)) {
		t.Errorf("pinning an ended process: %v, want an error that says so", err)
	}
	if err := Pin(os.Getpid(), Set{}); err == nil {
		t.Error("pinning to no CPUs: no error")
	}
}

func TestRunOn(t *testing.T) {
	allowed := needCPUs(t)
	pid := os.Getpid()
	before := affinities(t, pid)
	procs := runtime.GOMAXPROCS(0)
	driver, _, _ := Split(allowed)
	errF := errors.New("f's error")
	done := make(chan struct{})
	ran := false
	err := RunOn(driver, func() error {
		ran = true
		checkAll(t, pid, driver, len(before))
		if got, want := runtime.GOMAXPROCS(0), min(procs, driver.Len()); got != want {
			t.Errorf("GOMAXPROCS %d while pinned to %s, want %d", got, driver, want)
		}
		// Threads created while pinned: more goroutines locked to
		// their threads than there were threads. They end with their
		// goroutines, or are put back if they still run.
		for range len(before) + 1 {
			started := make(chan struct{})
			go func() {
				runtime.LockOSThread()
				close(started)
				<-done
			}()
			<-started
		}
		checkAll(t, pid, driver, len(before)+1)
		return errF
	})
	close(done)
	if !ran || !errors.Is(err, errF) {
		t.Fatalf("RunOn ran f: %v, returned %v; want f's error", ran, err)
	}
	for tid, s := range affinities(t, pid) {
		want, ok := before[tid]
		if !ok {
			want = before[pid]
		}
		if !s.Equal(want) {
			t.Errorf("after RunOn, thread %d on CPUs %s, want %s as before", tid, s, want)
		}
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS %d after RunOn, want %d as before", got, procs)
	}
	if err := RunOn(Set{}, func() error { t.Error("f ran with no CPUs to pin to"); return nil }); err == nil {
		t.Error("RunOn with no CPUs: no error")
	}
}
