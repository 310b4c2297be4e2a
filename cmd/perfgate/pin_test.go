package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cpuset"
)

// TestLoadPinCPUs runs the shop with pin_cpus while a watcher process
// looks, from /proc, at the CPUs every thread of every service and of
// perfgate (this process, the driver) may run on: each service must be
// pinned to the services' CPUs from soon after it starts to its end,
// perfgate to the driver's while it sends load and to all of them again
// afterwards, and run.json must say so. The watcher is a process of its
// own, on the services' CPUs, so that its work is not the driver's: on the
// driver's one CPU it would delay the driver's sends.
func TestLoadPinCPUs(t *testing.T) {
	allowed, err := cpuset.Allowed()
	if err != nil {
		t.Fatal(err)
	}
	driver, services, ok := cpuset.Split(allowed)
	if !ok {
		t.Skipf("this process may use CPUs %s: nothing to pin to separate CPUs", allowed)
	}
	same := `SHOP_FANOUT: concurrent, SHOP_CACHE: "on"`
	cfg := shopConfig(t, same, same, "pin_cpus: true\n")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), "  rounds: 5", "  rounds: 3", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")

	watcher := exec.Command(os.Args[0], "-test.run=^TestPinWatcher$")
	watcher.Env = append(os.Environ(), pinWatchEnv+"="+strings.Join([]string{
		strconv.Itoa(os.Getpid()), filepath.Join(out, "bin") + string(filepath.Separator), driver.String(), services.String()}, " "))
	stdin, err := watcher.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	watcher.Stdout, watcher.Stderr = &report, &report
	if err := watcher.Start(); err != nil {
		t.Fatal(err)
	}
	// On the services' CPUs, the watcher takes nothing from the driver.
	if err := cpuset.Pin(watcher.Process.Pid, services); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := perfgate(t, context.Background(), "-C", "../..", "run", "--config", cfg, "--out", out)
	stdin.Close()
	if err := watcher.Wait(); err != nil {
		t.Fatalf("watcher: %v\n%s", err, report.String())
	}
	info := readInfo(t, out)
	switch {
	case code == exitPass || code == exitRegression:
	case code == exitError && strings.Contains(stderr, "could not keep up"):
		// A busy machine can leave a side with no round the driver
		// kept up with; the rounds ran, pinned, all the same.
		t.Logf("exit %d: %s\nnotes of run.json:\n%s", code, stderr, strings.Join(info.Notes, "\n"))
	default:
		t.Fatalf("exit %d, want 0 or 1; stderr:\n%s\nnotes of run.json:\n%s", code, stderr, strings.Join(info.Notes, "\n"))
	}
	if !info.PinCPUs || info.Pinned == nil || info.Pinned.Driver != driver.String() || info.Pinned.Services != services.String() {
		t.Errorf("run.json: pin_cpus %v, pinned %+v; want the driver on %s, the services on %s", info.PinCPUs, info.Pinned, driver, services)
	}

	_, js, _ := strings.Cut(report.String(), pinWatchMark)
	js, _, _ = strings.Cut(js, "\n")
	var seen pinWatch
	if err := json.Unmarshal([]byte(js), &seen); err != nil {
		t.Fatalf("watcher's report: %v\n%s", err, report.String())
	}
	t.Logf("the watcher saw %d service processes pinned, perfgate pinned in %d of %d looks", seen.Services, seen.Driver, seen.Looks)
	if seen.Services != 6 {
		t.Errorf("%d service processes seen pinned to %s, want 6 (3 per side)", seen.Services, services)
	}
	if len(seen.Escaped) > 0 {
		t.Errorf("service threads off the services' CPUs after their process was pinned: %s", strings.Join(seen.Escaped, ", "))
	}
	if seen.Driver == 0 {
		t.Errorf("perfgate was never seen pinned to the driver's CPUs (%s) in %d looks", driver, seen.Looks)
	}
	for tid, s := range threadSets(os.Getpid()) {
		if !s.Equal(allowed) {
			t.Errorf("after the run, thread %d of perfgate on CPUs %s, want all of %s as before", tid, s, allowed)
		}
	}
	assertNoProcesses(t, out)
}

// pinWatchEnv makes TestPinWatcher the watcher of TestLoadPinCPUs: "PID
// BIN DRIVER SERVICES", perfgate's process, the prefix of its services'
// binaries, and the CPU lists each should be pinned to.
const pinWatchEnv = "PERFGATE_PIN_WATCH"

// pinWatchMark begins the watcher's report.
const pinWatchMark = "pin watch: "

// pinWatch is what the watcher saw.
type pinWatch struct {
	Looks int
	// Services is the number of service processes seen pinned.
	Services int
	// Escaped are the threads of a service seen off the services' CPUs
	// after their process was seen pinned.
	Escaped []string
	// Driver is the number of looks that saw every thread of perfgate on
	// the driver's CPUs.
	Driver int
}

// TestPinWatcher is the watcher process of TestLoadPinCPUs: it looks
// every 50 ms until its standard input closes, then prints its report.
func TestPinWatcher(t *testing.T) {
	args := strings.Fields(os.Getenv(pinWatchEnv))
	if len(args) != 4 {
		t.Skip("the watcher of TestLoadPinCPUs")
	}
	pid, err := strconv.Atoi(args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := args[1]
	driver, err := cpuset.Parse(args[2])
	if err != nil {
		t.Fatal(err)
	}
	services, err := cpuset.Parse(args[3])
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	var w pinWatch
	pinned := map[int]bool{}
	for {
		select {
		case <-done:
			js, _ := json.Marshal(w)
			os.Stdout.WriteString(pinWatchMark + string(js) + "\n")
			return
		case <-time.After(50 * time.Millisecond):
		}
		w.Looks++
		for _, child := range children(pid) {
			cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(child) + "/cmdline")
			if err != nil || !strings.HasPrefix(string(cmdline), bin) {
				continue
			}
			sets := threadSets(child)
			if main, ok := sets[child]; ok && main.Equal(services) && !pinned[child] {
				pinned[child] = true
				w.Services++
			}
			if !pinned[child] {
				continue
			}
			for tid, s := range sets {
				if !s.Equal(services) {
					w.Escaped = append(w.Escaped, strconv.Itoa(child)+"/"+strconv.Itoa(tid)+" on "+s.String())
				}
			}
		}
		sets := threadSets(pid)
		all := len(sets) > 0
		for _, s := range sets {
			all = all && s.Equal(driver)
		}
		if all {
			w.Driver++
		}
	}
}

// children returns the processes pid started (and has not yet waited
// for), from /proc/PID/task/TID/children.
func children(pid int) []int {
	var pids []int
	dir := "/proc/" + strconv.Itoa(pid) + "/task/"
	tasks, _ := os.ReadDir(dir)
	for _, task := range tasks {
		data, _ := os.ReadFile(dir + task.Name() + "/children")
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// threadSets returns the CPUs each thread of process pid may run on
// (sched_getaffinity, cheaper than /proc/PID/task/TID/status's
// Cpus_allowed_list); none when the process has ended.
func threadSets(pid int) map[int]cpuset.Set {
	entries, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	sets := make(map[int]cpuset.Set)
	for _, e := range entries {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, err := cpuset.Of(tid); err == nil { // else the thread ended
			sets[tid] = s
		}
	}
	return sets
}
