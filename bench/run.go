package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/sync/errgroup"

	"github.com/perfgate/perfgate/bench/service"
	"github.com/perfgate/perfgate/internal/proc"
)

// SideSpec says what one side is: the tree it is built from, and how.
type SideSpec struct {
	// Ref is a git ref checked out in a worktree of its own; empty means
	// the working tree as it is, uncommitted edits included.
	Ref string `yaml:"ref"`
	// Env is added to the environment of builds and benchmark runs.
	Env map[string]string `yaml:"env"`
	// Tags are build tags.
	Tags []string `yaml:"tags"`
}

// Settings say what to benchmark and how; they are perfgate.yml's bench
// section.
type Settings struct {
	// Packages are go package patterns, relative to Options.Dir.
	Packages []string `yaml:"packages" json:"packages"`
	// Run is the -bench regexp.
	Run string `yaml:"run" json:"run"`
	// Benchtime is -benchtime: a duration or Nx.
	Benchtime string `yaml:"benchtime" json:"benchtime"`
	// Rounds is the number of measured rounds per side.
	Rounds int `yaml:"rounds" json:"rounds"`
	// Profile adds one profiling round per side after the measured
	// ones, for a CPU and a memory profile per benchmark per side.
	Profile bool `yaml:"profile" json:"profile"`
	// Timeout bounds each benchmark process (go test's -timeout does not
	// cover benchmarks).
	Timeout time.Duration `yaml:"timeout" json:"timeout_ns"`
	// MinRounds is the first round the results are looked at to stop
	// early; they are looked at again each time the rounds have grown by
	// half, and at Rounds, the budget (gate.Looks). 0, or not below
	// Rounds, means Rounds always run.
	MinRounds int `yaml:"min_rounds" json:"min_rounds"`
}

// Options configure Run.
type Options struct {
	Settings
	// GoBench says whether to run the go test benchmarks Settings name.
	GoBench bool
	// Services are the services the Scenarios measure, started in order
	// from each side's tree.
	Services []service.Spec
	// Scenarios are the load scenarios.
	Scenarios []Scenario
	// Dir is the directory perfgate runs in.
	Dir string
	// Base and Head are the two sides.
	Base, Head SideSpec
	// Out is the run directory; it is created if needed.
	Out string
	// Progress, if set, is called as the run advances.
	Progress func(Progress)
	// Stop, if set, is called after each measured round of the go test
	// benchmarks, both sides done; when it says so, the rounds end there
	// (an adaptive number of rounds: the caller looks at the results so
	// far and stops when the answer is clear).
	Stop func(round int) (bool, error)
}

// Progress is a step of a run, for a progress display.
type Progress struct {
	// Phase is "build", "start" (services), "warmup", "round" or
	// "profile".
	Phase string
	// Scenario names the load scenario, in a load phase.
	Scenario string
	// Side is "base" or "head".
	Side string
	// Round and Rounds count the measured rounds.
	Round, Rounds int
	// Done and Total count all steps (side-rounds and profiling rounds).
	Done, Total int
	// Elapsed is the time since the first measured round began, and Left
	// an estimate of the time the remaining steps take.
	Elapsed, Left time.Duration
}

// Info is run.json: what ran, where, and how far it got.
type Info struct {
	Tool     string    `json:"tool"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Complete is set when every round ran.
	Complete bool   `json:"complete"`
	Error    string `json:"error,omitempty"`
	Host     Host   `json:"host"`
	// Go is the output of "go version".
	Go    string  `json:"go"`
	Dir   string  `json:"dir"`
	Sides []*Side `json:"sides"`
	Settings
	GoBench bool `json:"go_bench"`
	// StoppedAt is the round after which the benchmarks' answer was
	// clear and the rounds stopped, 0 when all ran.
	StoppedAt int         `json:"stopped_at,omitempty"`
	Scenarios []Scenario  `json:"scenarios,omitempty"`
	Measured  []Round     `json:"measured"`
	Load      []LoadRound `json:"load,omitempty"`
	Profiles  []Profile   `json:"profiles,omitempty"`
	Notes     []string    `json:"notes,omitempty"`
}

// Host describes the machine.
type Host struct {
	Name   string `json:"name"`
	OS     string `json:"os"`
	Arch   string `json:"arch"`
	CPU    string `json:"cpu,omitempty"`
	NumCPU int    `json:"num_cpu"`
}

// Side is a side as it ran.
type Side struct {
	Name   string            `json:"name"`
	Ref    string            `json:"ref,omitempty"`
	Commit string            `json:"commit,omitempty"`
	Dirty  bool              `json:"dirty,omitempty"`
	Env    map[string]string `json:"env,omitempty"`
	Tags   []string          `json:"tags,omitempty"`
	// Tree is the directory the side was built from: the working tree, or
	// a temporary worktree removed after the run.
	Tree     string    `json:"tree"`
	Packages []Package `json:"packages"`
	// Services are the side's services as they ran.
	Services []Service `json:"services,omitempty"`
	// Results is the benchmark file of the side, relative to the run
	// directory.
	Results string `json:"results"`
}

// Round is one side's measured round.
type Round struct {
	Round int    `json:"round"`
	Side  string `json:"side"`
	// File holds the raw output, relative to the run directory.
	File    string    `json:"file"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	// CPUSeconds is the user and system time of the benchmark processes.
	CPUSeconds float64 `json:"cpu_seconds"`
	// Load1 is the machine's one-minute load average as the round began:
	// other work competing with the benchmarks.
	Load1 float64 `json:"load1"`
	// Results is the number of benchmark lines the round produced.
	Results int `json:"results"`
}

// Profile is where the profiles behind one result of one side are,
// relative to the run directory: a go test benchmark's, or a service's
// under a load scenario.
type Profile struct {
	Side      string `json:"side"`
	Package   string `json:"package,omitempty"`
	Service   string `json:"service,omitempty"`
	Benchmark string `json:"benchmark"`
	CPU       string `json:"cpu,omitempty"`
	// Mem is the memory profile: go test's -memprofile, or a service's
	// heap profile at the end of the load.
	Mem       string `json:"mem,omitempty"`
	Goroutine string `json:"goroutine,omitempty"`
	// Output is the benchmark output of the profiling run.
	Output string `json:"output"`
	// Work is the amount of work the profiles cover: benchmark iterations
	// or requests. Costs per unit of work compare between sides whose
	// profiling runs did not do the same amount.
	Work float64 `json:"work"`
}

// side is a side while it runs.
type side struct {
	*Side
	remove func() error
	out    *os.File
	procs  []*service.Process // running services, in start order
}

func (s *side) environ() []string {
	env := os.Environ()
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+s.Env[k])
	}
	return env
}

// Run measures the benchmarks of both sides into the run directory
// opts.Out and returns what ran. On error, including a cancelled ctx, the
// rounds that finished stay in the run directory, run.json says how far the
// run got, and the worktrees are removed.
func Run(ctx context.Context, opts Options) (info *Info, err error) {
	if opts.GoBench && opts.Rounds < 1 {
		return nil, errors.New("rounds must be at least 1")
	}
	if !opts.GoBench && len(opts.Scenarios) == 0 {
		return nil, errors.New("nothing to measure: no benchmarks and no load scenarios")
	}
	out, err := filepath.Abs(opts.Out)
	if err != nil {
		return nil, fmt.Errorf("locating the run directory: %w", err)
	}
	opts.Out = out
	if _, err := os.Stat(filepath.Join(out, "run.json")); err == nil {
		return nil, fmt.Errorf("%s already holds a run: choose another --out", out)
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, fmt.Errorf("creating the run directory: %w", err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("locating %s: %w", opts.Dir, err)
	}
	info = &Info{Tool: "perfgate", Started: time.Now().UTC(), Host: host(), Dir: dir, Settings: opts.Settings,
		GoBench: opts.GoBench, Scenarios: opts.Scenarios}
	r := &runner{opts: opts, info: info}
	defer func() {
		if err != nil {
			info.Error = err.Error()
		}
		info.Finished = time.Now().UTC()
		for _, s := range r.sides {
			s.stopServices()
			if s.out != nil {
				if cerr := s.out.Close(); cerr != nil && err == nil {
					err = fmt.Errorf("writing %s: %w", s.Results, cerr)
				}
			}
			if s.remove != nil {
				if rerr := s.remove(); rerr != nil && err == nil {
					err = rerr
				}
			}
		}
		if werr := r.writeInfo(); werr != nil && err == nil {
			err = werr
		}
	}()
	if err := r.prepareSides(ctx); err != nil {
		return info, err
	}
	r.countSteps()
	if opts.GoBench {
		if err := r.prepareBench(ctx); err != nil {
			return info, err
		}
		if err := r.measure(ctx); err != nil {
			return info, err
		}
		if opts.Profile {
			if err := r.profile(ctx); err != nil {
				return info, err
			}
		}
	}
	if len(opts.Scenarios) > 0 {
		if err := r.load(ctx); err != nil {
			return info, err
		}
	}
	info.Complete = true
	return info, nil
}

// countSteps counts the steps of the whole run, for the progress display:
// each side's measured rounds, warm-ups and profiling rounds.
func (r *runner) countSteps() {
	if r.opts.GoBench {
		r.steps += 2 * r.opts.Rounds
		if r.opts.Profile {
			r.steps += 2
		}
	}
	for _, sc := range r.opts.Scenarios {
		r.steps += 2 * (sc.Rounds + 1)
		if r.opts.Profile {
			r.steps += 2
		}
	}
}

type runner struct {
	opts  Options
	info  *Info
	sides []*side
	rel   string // the directory perfgate runs in, relative to a tree's root

	steps, done int
	started     time.Time
}

// prepareSides resolves both sides, checks out worktrees and starts each
// side's results file.
func (r *runner) prepareSides(ctx context.Context) error {
	root, err := RepoRoot(ctx, r.opts.Dir)
	if err != nil {
		return err
	}
	// Where Dir is in the tree, so that the same place is found in a
	// worktree; git answers even when Dir is reached through a symlink.
	if r.rel, err = proc.Git(ctx, r.opts.Dir, "rev-parse", "--show-prefix"); err != nil {
		return err
	}
	if r.info.Go, err = goVersion(ctx); err != nil {
		return err
	}
	for _, spec := range []struct {
		name string
		SideSpec
	}{{"base", r.opts.Base}, {"head", r.opts.Head}} {
		s := &side{Side: &Side{Name: spec.name, Ref: spec.Ref, Env: spec.Env, Tags: spec.Tags, Results: spec.name + ".txt"}}
		r.sides = append(r.sides, s)
		r.info.Sides = append(r.info.Sides, s.Side)
		if spec.Ref == "" {
			s.Tree = root
			if s.Commit, s.Dirty, err = headState(ctx, root); err != nil {
				return err
			}
			continue
		}
		if s.Commit, err = ResolveRef(ctx, root, spec.Ref); err != nil {
			return fmt.Errorf("%s side: %w", spec.name, err)
		}
		if s.Tree, s.remove, err = addWorktree(ctx, root, s.Commit, spec.name); err != nil {
			return err
		}
	}
	for _, s := range r.sides {
		f, err := os.Create(filepath.Join(r.opts.Out, s.Results))
		if err != nil {
			return err
		}
		s.out = f
		// Config lines that tell the sides apart; see analyze.Compare.
		fmt.Fprintf(f, "commit: %s\nvariant: %s\n", orNone(s.Commit), s.Name)
	}
	return r.writeInfo()
}

// prepareBench lists and builds each side's packages with tests, and the
// benchmarks they hold. The two sides are prepared at once: the work is
// mostly linking, which keeps one CPU busy, so on two it takes about half
// the time (under the selftest's competing load, 0.6 s before the first
// round against 1.0 s one side after the other).
func (r *runner) prepareBench(ctx context.Context) error {
	r.progress(Progress{Phase: "build", Side: "base and head"})
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range r.sides {
		g.Go(func() error {
			pkgs, err := listPackages(gctx, s, r.rel, r.opts.Packages)
			if err != nil {
				return err
			}
			if err := build(gctx, s, pkgs, filepath.Join(r.opts.Out, "bin", s.Name), filepath.Join(r.opts.Out, "build-"+s.Name+".log")); err != nil {
				return err
			}
			for i := range pkgs {
				if err := listBenchmarks(gctx, s, &pkgs[i], r.opts.Run); err != nil {
					return err
				}
			}
			s.Packages = slices.DeleteFunc(pkgs, func(p Package) bool { return len(p.Benchmarks) == 0 })
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if len(r.sides[0].Packages) == 0 && len(r.sides[1].Packages) == 0 {
		return fmt.Errorf("no benchmark matches -bench %q in %s", r.opts.Run, strings.Join(r.opts.Packages, " "))
	}
	for _, s := range r.sides {
		if len(s.Packages) == 0 {
			return fmt.Errorf("no benchmark matches -bench %q on the %s side", r.opts.Run, s.Name)
		}
	}
	return r.writeInfo()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// measure runs the interleaved rounds.
func (r *runner) measure(ctx context.Context) error {
	r.startClock()
	if err := os.MkdirAll(filepath.Join(r.opts.Out, "rounds"), 0o755); err != nil {
		return err
	}
	for round := 1; round <= r.opts.Rounds; round++ {
		for _, s := range r.order(round) {
			r.progress(Progress{Phase: "round", Side: s.Name, Round: round, Rounds: r.opts.Rounds})
			if err := r.round(ctx, s, round); err != nil {
				return err
			}
			r.done++
		}
		if r.opts.Stop != nil && round < r.opts.Rounds {
			stop, err := r.opts.Stop(round)
			if err != nil {
				return err
			}
			if stop {
				r.info.StoppedAt = round
				r.steps -= 2 * (r.opts.Rounds - round)
				return r.writeInfo()
			}
		}
	}
	return nil
}

// round runs every package's benchmarks of s once.
func (r *runner) round(ctx context.Context, s *side, round int) error {
	rd := Round{
		Round: round, Side: s.Name, Started: time.Now().UTC(), Load1: loadAverage(),
		File: filepath.Join("rounds", fmt.Sprintf("%s-%02d.txt", s.Name, round)),
	}
	f, err := os.Create(filepath.Join(r.opts.Out, rd.File))
	if err != nil {
		return err
	}
	defer f.Close()
	// Each top-level benchmark runs in a process of its own, so that one
	// benchmark's heap and garbage do not bias the next one's figures.
	for i := range s.Packages {
		p := &s.Packages[i]
		for _, top := range p.Benchmarks {
			args := []string{"-test.run=^$", "-test.bench=" + onlyTop(r.opts.Run, top), "-test.benchtime=" + r.opts.Benchtime,
				"-test.count=1", "-test.benchmem"}
			out, cpu, err := r.exec(ctx, s, p, top, args)
			rd.CPUSeconds += cpu
			if _, werr := f.Write(out); werr != nil && err == nil {
				err = werr
			}
			if err != nil {
				return fmt.Errorf("%s round %d: %s: %w (output: %s)", s.Name, round, p.ImportPath, err, filepath.Join(r.opts.Out, rd.File))
			}
			rd.Results += countResults(out)
			if _, err := s.out.Write(out); err != nil {
				return fmt.Errorf("writing %s: %w", s.Results, err)
			}
		}
	}
	if rd.Results == 0 {
		return fmt.Errorf("%s round %d: the benchmarks printed no result (output: %s)", s.Name, round, filepath.Join(r.opts.Out, rd.File))
	}
	rd.Seconds = time.Since(rd.Started).Seconds()
	r.info.Measured = append(r.info.Measured, rd)
	return r.writeInfo()
}

// profile runs, per side, each benchmark once more with CPU and memory
// profiling on, for the median number of iterations of its measured rounds
// (-benchtime Nx), so that the profile covers a known amount of work: N
// iterations, and the one go test runs first to size them. A benchmark that
// fails only under profiling loses its profile, with a note; the measured
// figures stand.
func (r *runner) profile(ctx context.Context) error {
	for _, s := range r.sides {
		r.progress(Progress{Phase: "profile", Side: s.Name, Round: r.opts.Rounds, Rounds: r.opts.Rounds})
		dir := filepath.Join("profiles", s.Name)
		if err := os.MkdirAll(filepath.Join(r.opts.Out, dir), 0o755); err != nil {
			return err
		}
		names := r.benchmarkNames(s.Name)
		for pi := range s.Packages {
			p := &s.Packages[pi]
			for i, name := range names[p.ImportPath] {
				stem := filepath.Join(dir, fmt.Sprintf("%02d-%03d-%s", pi, i, fileSafe(name.bare)))
				pr := Profile{Side: s.Name, Package: p.ImportPath, Benchmark: "Benchmark" + name.full,
					CPU: stem + ".cpu.pprof", Mem: stem + ".mem.pprof", Output: stem + ".txt"}
				abs := func(rel string) string { return filepath.Join(r.opts.Out, rel) }
				args := []string{"-test.run=^$", "-test.bench=" + exactRegexp("Benchmark"+name.bare),
					fmt.Sprintf("-test.benchtime=%dx", name.iters), "-test.count=1", "-test.benchmem",
					"-test.cpuprofile=" + abs(pr.CPU), "-test.memprofile=" + abs(pr.Mem),
					fmt.Sprintf("-test.memprofilerate=%d", memProfileRate)}
				out, _, err := r.exec(ctx, s, p, "Benchmark"+name.full, args)
				if werr := os.WriteFile(abs(pr.Output), out, 0o644); werr != nil && err == nil {
					err = werr
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err == nil && countResults(out) == 0 {
					err = errors.New("the profiling run printed no result")
				}
				if err != nil {
					r.info.Notes = append(r.info.Notes, fmt.Sprintf("no %s profile of Benchmark%s: %v", s.Name, name.full, err))
					continue
				}
				pr.Work = float64(name.iters + 1)
				r.info.Profiles = append(r.info.Profiles, pr)
			}
		}
		r.done++
	}
	return nil
}

// memProfileRate is the -test.memprofilerate of profiling runs: an
// allocation sampled every 4 KiB on average, against the runtime's 512 KiB,
// so that an allocation regression of a few objects per iteration shows.
// It only slows the profiling run.
const memProfileRate = 4096

// measuredName is a benchmark as the measured rounds named it.
type measuredName struct {
	// full is the name as go test printed it, without "Benchmark";
	// bare is the same without the -GOMAXPROCS suffix.
	full, bare string
	// iters is the median iteration count of its measured rounds.
	iters int
}

// benchmarkNames returns, per package, the benchmarks the measured rounds
// of side produced, in order of appearance.
func (r *runner) benchmarkNames(side string) map[string][]measuredName {
	var order []string
	byPkg := make(map[string][]string)
	iters := make(map[string][]int)
	for _, rd := range r.info.Measured {
		if rd.Side != side {
			continue
		}
		data, err := os.ReadFile(filepath.Join(r.opts.Out, rd.File))
		if err != nil {
			continue
		}
		rdr := benchfmt.NewReader(bytes.NewReader(data), rd.File)
		for rdr.Scan() {
			if res, ok := rdr.Result().(*benchfmt.Result); ok {
				pkg := res.GetConfig("pkg")
				k := pkg + "\x00" + string(res.Name)
				if iters[k] == nil {
					if byPkg[pkg] == nil {
						order = append(order, pkg)
					}
					byPkg[pkg] = append(byPkg[pkg], string(res.Name))
				}
				iters[k] = append(iters[k], res.Iters)
			}
		}
	}
	names := make(map[string][]measuredName)
	for _, pkg := range order {
		suffix := procsSuffix(byPkg[pkg])
		for _, n := range byPkg[pkg] {
			its := iters[pkg+"\x00"+n]
			slices.Sort(its)
			names[pkg] = append(names[pkg], measuredName{full: n, bare: strings.TrimSuffix(n, suffix), iters: max(its[len(its)/2], 1)})
		}
	}
	return names
}

// procsSuffix returns the -GOMAXPROCS suffix go test appended to every name
// (none when GOMAXPROCS is 1): the "-N" that all names end with alike.
func procsSuffix(names []string) string {
	var suffix string
	for i, n := range names {
		j := strings.LastIndexByte(n, '-')
		if j < 0 || !isDigits(n[j+1:]) || (i > 0 && n[j:] != suffix) {
			return ""
		}
		suffix = n[j:]
	}
	return suffix
}

// exec runs a test binary of s with args, for the benchmark name, in its package directory and
// returns its combined output and CPU time. A failed benchmark, a panic, a
// timeout or an exit status is an error whose text is the one line that
// says why. The timeout is perfgate's own: go test's -timeout does not
// cover benchmarks.
func (r *runner) exec(ctx context.Context, s *side, p *Package, name string, args []string) ([]byte, float64, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	cmd := proc.Command(ctx, p.Binary, args...)
	cmd.Dir = filepath.Join(s.Tree, p.Dir)
	cmd.Env = s.environ()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := proc.Run(cmd)
	var cpu float64
	if cmd.ProcessState != nil {
		cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	}
	switch {
	case parent.Err() != nil:
		return out.Bytes(), cpu, fmt.Errorf("interrupted: %w", parent.Err())
	case ctx.Err() != nil:
		return out.Bytes(), cpu, fmt.Errorf("%s timed out after %v (bench.timeout)", name, r.opts.Timeout)
	}
	if reason := failure(out.Bytes()); reason != "" {
		return out.Bytes(), cpu, errors.New(reason)
	}
	if err != nil {
		return out.Bytes(), cpu, fmt.Errorf("%s: the benchmark process failed: %v", name, err)
	}
	return out.Bytes(), cpu, nil
}

// order returns the sides in the order they run in round: base first in
// odd rounds, head first in even ones.
func (r *runner) order(round int) []*side {
	if round%2 == 0 {
		return []*side{r.sides[1], r.sides[0]}
	}
	return r.sides
}

func (r *runner) startClock() {
	if r.started.IsZero() {
		r.started = time.Now()
	}
}

func (r *runner) progress(p Progress) {
	if r.opts.Progress == nil {
		return
	}
	p.Done, p.Total = r.done, r.steps
	if !r.started.IsZero() {
		p.Elapsed = time.Since(r.started)
		if r.done > 0 {
			p.Left = p.Elapsed / time.Duration(r.done) * time.Duration(r.steps-r.done)
		}
	}
	r.opts.Progress(p)
}

// writeInfo writes run.json, replacing the previous one in one step.
func (r *runner) writeInfo() error {
	data, err := json.MarshalIndent(r.info, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(r.opts.Out, "run.json")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing run.json: %w", err)
	}
	return os.Rename(tmp, path)
}

func countResults(out []byte) int {
	n := 0
	rd := benchfmt.NewReader(bytes.NewReader(out), "")
	for rd.Scan() {
		if _, ok := rd.Result().(*benchfmt.Result); ok {
			n++
		}
	}
	return n
}

// fileSafe turns a benchmark name into a file name.
func fileSafe(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '=') {
			b[i] = '_'
		}
	}
	if len(b) > 100 {
		b = b[:100]
	}
	return string(b)
}

func goVersion(ctx context.Context) (string, error) {
	cmd := proc.Command(ctx, "go", "version")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("running go version (is Go installed?): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func host() Host {
	h := Host{OS: runtime.GOOS, Arch: runtime.GOARCH, NumCPU: runtime.NumCPU()}
	h.Name, _ = os.Hostname()
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				h.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return h
}

// loadAverage returns the one-minute load average, or 0 where /proc has none.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscanf(string(data), "%g", &l)
	return l
}
