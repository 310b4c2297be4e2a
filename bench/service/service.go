// Package service runs the services a load test measures: it builds each
// from a side's tree, starts it on a free loopback port with its log kept on
// disk, waits until it answers, reads its resource use from /proc, and stops
// it (SIGTERM, then SIGKILL after a grace period) with its whole process
// group, so that none is left running.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"github.com/perfgate/perfgate/internal/proc"
)

// Spec is a service as perfgate.yml names it.
type Spec struct {
	// Name identifies the service in results and in other services' args.
	Name string `yaml:"name"`
	// Build is the main package to build, relative to the directory
	// perfgate runs in, from each side's own tree.
	Build string `yaml:"build"`
	// Args are the service's arguments. {addr} stands for the loopback
	// host:port perfgate gives the service, {NAME} for the address of the
	// service called NAME (started before this one).
	Args []string `yaml:"args"`
	// Env is added to the service's environment (after the side's). Its
	// values, and those of the side's env, take the placeholders of Args.
	Env map[string]string `yaml:"env"`
	// Ready is the path that answers 2xx once the service is ready.
	Ready string `yaml:"ready"`
	// Pprof is the path of its net/http/pprof endpoints; "" means
	// /debug/pprof and "off" that it has none.
	Pprof string `yaml:"pprof"`
	// StartTimeout bounds the wait for Ready.
	StartTimeout time.Duration `yaml:"start_timeout"`
}

// DefaultStartTimeout is how long a service has to become ready when its
// Spec does not say.
const DefaultStartTimeout = 30 * time.Second

// PprofURL returns the base URL of the service's pprof endpoints at addr,
// or "" when it has none.
func (s Spec) PprofURL(addr string) string {
	switch s.Pprof {
	case "off":
		return ""
	case "":
		return "http://" + addr + "/debug/pprof"
	}
	return "http://" + addr + "/" + strings.TrimPrefix(s.Pprof, "/")
}

// Build builds the service's binary from the tree at dir into bin, with
// build tags and the environment env, keeping the compiler's output in
// logFile. A failure's error is the compiler's first error.
func Build(ctx context.Context, s Spec, dir string, tags []string, env []string, bin, logFile string) error {
	args := []string{"build", "-trimpath", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, "--", s.Build)
	log, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	if err := proc.Go(ctx, dir, env, log, args...); err != nil {
		if ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("building service %s (%s): %v (full log: %s)", s.Name, s.Build, err, logFile)
	}
	return nil
}

// Process is a running service.
type Process struct {
	Spec Spec
	// Addr is the loopback host:port it listens on.
	Addr string
	// Log is the file its standard output and error go to.
	Log string

	cmd    *exec.Cmd
	logf   *os.File
	exited chan struct{}
	err    error // the exit, once exited is closed
}

// FreeAddr returns a loopback address with a port free at the time of the
// call.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Start starts the service's binary on a free loopback port, with env and
// its Spec's args (placeholders filled from addrs, the addresses of the
// services already started), and waits until its Ready path answers. It
// stops the process again if it never becomes ready; the error then holds
// the tail of its log.
//
// The port is free when picked, not when the service binds it: another
// process (the load driver's own connections take ports of the same
// range) may take it first. A service that exits before it is ready
// saying its address is in use is started again on a new port, twice at
// most.
func Start(ctx context.Context, s Spec, binary string, env []string, addrs map[string]string, logFile string) (*Process, error) {
	for attempt := 1; ; attempt++ {
		p, err := start(ctx, s, binary, env, addrs, logFile)
		if err == nil || attempt == 3 || !errors.Is(err, errAddrInUse) {
			return p, err
		}
	}
}

// errAddrInUse marks a service that exited before it was ready, its log
// saying its address was in use.
var errAddrInUse = errors.New("address already in use")

// start is one attempt of Start.
func start(ctx context.Context, s Spec, binary string, env []string, addrs map[string]string, logFile string) (*Process, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	fill := func(a string) string {
		a = strings.ReplaceAll(a, "{addr}", addr)
		for name, other := range addrs {
			a = strings.ReplaceAll(a, "{"+name+"}", other)
		}
		return a
	}
	args := make([]string, len(s.Args))
	for i, a := range s.Args {
		args[i] = fill(a)
	}
	// The environment's values take the same placeholders: a side's env
	// can point its services at another service (SHOP_PROFILE_URL:
	// http://{watch}).
	env = slices.Clone(env)
	for i, kv := range env {
		env[i] = fill(kv)
	}
	logf, err := os.Create(logFile)
	if err != nil {
		return nil, fmt.Errorf("starting service %s: %w", s.Name, err)
	}
	// The process lives until Stop, not until ctx is done: Stop ends it
	// in order, and a cancelled ctx leads to Stop through the caller.
	cmd := proc.Command(context.WithoutCancel(ctx), binary, args...)
	cmd.Env = append(env, sortedEnv(s.Env)...)
	for i := len(env); i < len(cmd.Env); i++ {
		cmd.Env[i] = fill(cmd.Env[i])
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting service %s: %w", s.Name, err)
	}
	p := &Process{Spec: s, Addr: addr, Log: logFile, cmd: cmd, logf: logf, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(ctx); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func (p *Process) waitReady(ctx context.Context) error {
	timeout := p.Spec.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	ready := p.Spec.Ready
	if ready == "" {
		ready = "/healthz"
	}
	url := "http://" + p.Addr + "/" + strings.TrimPrefix(ready, "/")
	client := &http.Client{Timeout: time.Second}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			err = fmt.Errorf("%s answered %s", url, resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("starting service %s: %w", p.Spec.Name, ctx.Err())
		case <-p.exited:
			tail := p.LogTail(3)
			err := fmt.Errorf("service %s exited before it was ready (%v); its log ends: %s", p.Spec.Name, p.err, tail)
			if strings.Contains(tail, errAddrInUse.Error()) {
				err = fmt.Errorf("%w (%w)", err, errAddrInUse)
			}
			return err
		case <-deadline.C:
			return fmt.Errorf("service %s not ready after %v (%v); its log ends: %s", p.Spec.Name, timeout, last, p.LogTail(3))
		case <-tick.C:
		}
	}
}

// Pid is the process's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// CheckAlive returns an error, with the tail of the log, if the process
// has exited.
func (p *Process) CheckAlive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("service %s exited (%v); its log ends: %s", p.Spec.Name, p.err, p.LogTail(3))
	default:
		return nil
	}
}

// Stop ends the process group: SIGTERM, then SIGKILL after proc.Grace.
// It waits for the exit and closes the log.
func (p *Process) Stop() {
	defer p.logf.Close()
	select {
	case <-p.exited:
	default:
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(proc.Grace):
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
		}
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // whatever it left behind
}

// Usage is a service's resource use as /proc tells it.
type Usage struct {
	// CPUSeconds is the user and system time the process has used.
	CPUSeconds float64
	// PeakRSS is the largest resident set since the last ResetPeak, in
	// bytes.
	PeakRSS uint64
}

// Usage reads the process's CPU time and peak resident set.
//
// The CPU time comes from the process's CPU-time clock
// (clock_getcpuclockid), exact to the nanosecond, not from /proc/PID/stat,
// whose 10 ms ticks are a large part of a short round's CPU time per
// request.
func (p *Process) Usage() (Usage, error) {
	pid := p.cmd.Process.Pid
	var ts unix.Timespec
	if err := unix.ClockGettime(processCPUClock(pid), &ts); err != nil {
		return Usage{}, p.gone(fmt.Errorf("reading the CPU time of %s: %w", p.Spec.Name, err))
	}
	pr, err := procfs.NewProc(pid)
	if err != nil {
		return Usage{}, p.gone(fmt.Errorf("reading the memory of %s: %w", p.Spec.Name, err))
	}
	status, err := pr.NewStatus()
	if err != nil {
		return Usage{}, p.gone(fmt.Errorf("reading the memory of %s: %w", p.Spec.Name, err))
	}
	return Usage{CPUSeconds: float64(ts.Nano()) / 1e9, PeakRSS: status.VmHWM}, nil
}

// processCPUClock is the clock ID of the CPU time of the process pid, all
// its threads included: what glibc's clock_getcpuclockid returns
// (CPUCLOCK_SCHED of the process, in the kernel's encoding).
func processCPUClock(pid int) int32 {
	const cpuclockSched = 2
	return int32(^pid<<3 | cpuclockSched)
}

// ResetPeak starts a new peak resident set measure (Linux's clear_refs 5),
// so that each round reports its own peak.
func (p *Process) ResetPeak() error {
	path := fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid)
	if err := os.WriteFile(path, []byte("5"), 0); err != nil {
		return p.gone(fmt.Errorf("resetting the peak memory of %s: %w", p.Spec.Name, err))
	}
	return nil
}

// gone explains err, a failure to read the process's /proc entries: when
// the process has exited, which is the usual reason, the error says so
// (CheckAlive's), else it is err. The exit may be a moment from being
// seen, so it is waited for a little.
func (p *Process) gone(err error) error {
	select {
	case <-p.exited:
		return p.CheckAlive()
	case <-time.After(time.Second):
		return err
	}
}

// LogTail returns the last n non-empty lines of the service's log, joined
// with " | " so that they fit in a one-line reason.
func (p *Process) LogTail(n int) string {
	data, err := os.ReadFile(p.Log)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "(empty)"
	}
	return strings.Join(lines, " | ")
}

func sortedEnv(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	env := make([]string, len(keys))
	for i, k := range keys {
		env[i] = k + "=" + m[k]
	}
	return env
}

// BinaryName returns the file name of a service's binary in a bin
// directory.
func BinaryName(s Spec) string { return "svc-" + filepath.Base(s.Name) }
