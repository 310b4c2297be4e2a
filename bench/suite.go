package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/sync/errgroup"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/internal/proc"
	"github.com/perfgate/perfgate/profiler"
	"github.com/perfgate/perfgate/rundir"
)

// Suite is the go test benchmarks of both sides, measured in rounds.
type Suite struct {
	sides    *Sides
	settings config.Bench
	// Shard, when set, keeps this shard's share of the benchmarks.
	Shard *Shard
}

// ErrEmptyShard is the error of Prepare for a shard with no benchmark to
// run: a run of more shards than benchmarks. It is not a failure; the
// run's Info says which benchmarks the other shards have.
var ErrEmptyShard = errors.New("this shard has no benchmark to run")

// NewSuite returns the benchmarks that settings name, on sides.
func NewSuite(sides *Sides, settings config.Bench) *Suite {
	return &Suite{sides: sides, settings: settings}
}

// Prepare lists and builds each side's packages with tests, and the
// benchmarks they hold. The two sides are prepared at once: the work is
// mostly linking, which keeps one CPU busy, so on two it takes about half
// the time (under the selftest's competing load, 0.6 s before the first
// round against 1.0 s one side after the other).
func (b *Suite) Prepare(ctx context.Context) error {
	run := b.sides.Run
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range b.sides.Both() {
		g.Go(func() error {
			pkgs, err := listPackages(gctx, s, b.sides.rel, b.settings.Packages)
			if err != nil {
				return err
			}
			if err := build(gctx, s, pkgs, run.Path(run.Bin(s.Name)), run.Path(run.BuildLog(s.Name))); err != nil {
				return err
			}
			for i := range pkgs {
				if err := listBenchmarks(gctx, s, &pkgs[i], b.settings.Run); err != nil {
					return err
				}
			}
			s.Packages = slices.DeleteFunc(pkgs, func(p rundir.Package) bool { return len(p.Benchmarks) == 0 })
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if b.Shard != nil {
		if err := b.share(); err != nil {
			return err
		}
	}
	base, head := b.sides.sides[0], b.sides.sides[1]
	if len(base.Packages) == 0 && len(head.Packages) == 0 {
		return fmt.Errorf("no benchmark matches -bench %q in %s", b.settings.Run, strings.Join(b.settings.Packages, " "))
	}
	// One side without benchmarks (its packages moved, or the benchmarks
	// were deleted) is reported as every benchmark on one side only.
	for _, s := range b.sides.Both() {
		if len(s.Packages) == 0 {
			b.sides.Info.Notes = append(b.sides.Info.Notes, fmt.Sprintf("no benchmark matches -bench %q in %s on the %s side",
				b.settings.Run, strings.Join(b.settings.Packages, " "), s.Name))
		}
	}
	return b.sides.Save()
}

// share keeps this shard's share of the benchmarks both sides listed
// (Assign), records it in the run's Info, and returns ErrEmptyShard when
// the share is empty but other shards have benchmarks (with none at all,
// Prepare's error says that no benchmark matches).
func (b *Suite) share() error {
	var all []string
	for _, s := range b.sides.Both() {
		for _, p := range s.Packages {
			for _, name := range p.Benchmarks {
				all = append(all, p.ImportPath+"."+name)
			}
		}
	}
	shares := Assign(all, b.Shard.Count, b.Shard.Durations)
	mine := shares[b.Shard.Index-1]
	for _, s := range b.sides.Both() {
		for i := range s.Packages {
			p := &s.Packages[i]
			p.Benchmarks = slices.DeleteFunc(p.Benchmarks, func(name string) bool {
				_, found := slices.BinarySearch(mine, p.ImportPath+"."+name)
				return !found
			})
		}
		s.Packages = slices.DeleteFunc(s.Packages, func(p rundir.Package) bool { return len(p.Benchmarks) == 0 })
	}
	slices.Sort(all)
	b.sides.Info.Shard = &rundir.ShardInfo{Index: b.Shard.Index, Count: b.Shard.Count, All: slices.Compact(all), Mine: mine}
	if err := b.sides.Save(); err != nil {
		return err
	}
	if len(mine) == 0 && len(all) > 0 {
		return ErrEmptyShard
	}
	return nil
}

// Round runs every benchmark of s once, each top-level benchmark in a
// process of its own (so that one benchmark's heap and garbage do not
// bias the next one's figures), keeps the output in the round's file as
// it comes, and appends the results to the side's results file.
func (b *Suite) Round(ctx context.Context, s *Side, round int) error {
	run := b.sides.Run
	rd := rundir.Round{
		Round: round, Side: s.Name, Started: time.Now().UTC(), Load1: loadAverage(),
		File: run.Round(s.Name, round),
	}
	if err := run.MkdirFor(rd.File); err != nil {
		return err
	}
	f, err := os.Create(run.Path(rd.File))
	if err != nil {
		return err
	}
	defer f.Close()
	for i := range s.Packages {
		p := &s.Packages[i]
		for _, top := range p.Benchmarks {
			args := []string{"-test.run=^$", "-test.bench=" + onlyTop(b.settings.Run, top), "-test.benchtime=" + b.settings.Benchtime,
				"-test.count=1", "-test.benchmem", "-test.paniconexit0"}
			out, cpu, err := b.exec(ctx, s, p, top, args)
			rd.CPUSeconds += cpu
			if _, werr := f.Write(out); werr != nil && err == nil {
				err = werr
			}
			if err != nil {
				return fmt.Errorf("%s round %d: %s: %w (output: %s)", s.Name, round, p.ImportPath, err, run.Path(rd.File))
			}
			rd.Results += countResults(out)
			if err := s.appendResults(out); err != nil {
				return err
			}
		}
	}
	if rd.Results == 0 && len(s.Packages) > 0 {
		return fmt.Errorf("%s round %d: the benchmarks printed no result (output: %s)", s.Name, round, run.Path(rd.File))
	}
	rd.Seconds = time.Since(rd.Started).Seconds()
	b.sides.Info.Measured = append(b.sides.Info.Measured, rd)
	return b.sides.Save()
}

// Profile runs the benchmarks of want (every benchmark both sides ran,
// when want is nil) again on both sides, profiled: CPU, memory, block and
// mutex profiles. Each benchmark runs in chunks of the same number of
// iterations on both sides, interleaved (base, head, head, base, ...) so
// that machine drift hits both alike and the costs fixed per process (the
// benchmark's setup, the testing package's first call) are equal on both
// sides and cancel in a diff. The chunks go on until each side has
// settings.ProfileSamples CPU samples, or settings.ProfileTime has passed
// on one side, which a note says with the samples reached. The CPU
// profiles sample at profileRate. A benchmark that fails only under
// profiling loses its profiles, with a note; the measured figures stand.
func (b *Suite) Profile(ctx context.Context, want []analyze.Result) error {
	names := [2]map[string][]measuredName{b.benchmarkNames("base"), b.benchmarkNames("head")}
	head := b.sides.sides[1]
	for pi := range head.Packages {
		p := &head.Packages[pi]
		for i, hn := range names[1][p.ImportPath] {
			bi := slices.IndexFunc(names[0][p.ImportPath], func(n measuredName) bool { return n.full == hn.full })
			if bi < 0 || !wanted(want, p.ImportPath, "Benchmark"+hn.full) {
				continue
			}
			bn := names[0][p.ImportPath][bi]
			cpu := want == nil || slices.ContainsFunc(want, func(r analyze.Result) bool {
				return r.Benchmark == "Benchmark"+hn.full && r.Unit != "B/op" && r.Unit != "allocs/op"
			})
			basePkg := slices.IndexFunc(b.sides.sides[0].Packages, func(q rundir.Package) bool { return q.ImportPath == p.ImportPath })
			if basePkg < 0 {
				continue
			}
			err := b.profileOne(ctx, [2]int{basePkg, pi}, i, [2]measuredName{bn, hn}, cpu)
			if err != nil {
				return err
			}
		}
	}
	return b.sides.Save()
}

// wanted reports whether the benchmark name of package pkg is among want,
// or want is nil.
func wanted(want []analyze.Result, pkg, name string) bool {
	if want == nil {
		return true
	}
	return slices.ContainsFunc(want, func(r analyze.Result) bool {
		return r.Benchmark == name && (r.Config.Get("pkg") == pkg || r.Config.Get("pkg") == "")
	})
}

// profileChunks is how many chunks per side a benchmark's profiling runs
// are sized for, and minChunks the fewest that run: ABBA, so that each
// side runs first as often.
const (
	profileChunks = 16
	minChunks     = 2
)

// profileOne profiles one benchmark on both sides, pkgs[s] being its
// package's index on side s. Without cpu (only its allocations regressed)
// minChunks suffice: the memory profiles sample every 4 KiB. With it, the
// chunks stop early once the CPU profiles so far explain the growth
// (explainedEarly).
func (b *Suite) profileOne(ctx context.Context, pkgs [2]int, i int, names [2]measuredName, cpu bool) error {
	info := b.sides.Info
	full := "Benchmark" + names[1].full
	// Equal iterations on both sides, enough for the faster one to reach
	// the target in profileChunks chunks, and a chunk of the slower one
	// within its share of the time cap.
	fast, slow := min(names[0].secPerOp, names[1].secPerOp), max(names[0].secPerOp, names[1].secPerOp)
	perChunk := float64(b.settings.ProfileSamples) / profileRate / profileChunks
	iters := 1
	if fast > 0 {
		iters = max(1, int(perChunk/fast))
		iters = max(1, min(iters, int(b.settings.ProfileTime.Seconds()/profileChunks/slow)))
	}
	var samples [2]float64
	var spent [2]time.Duration
	var failed [2]bool
	for chunk := 0; ; chunk++ {
		sides := order2(chunk)
		for _, si := range sides {
			s := b.sides.sides[si]
			if failed[si] {
				continue
			}
			start := time.Now()
			pr, n, err := b.profileChunk(ctx, s, pkgs[si], i, names[si], iters, chunk)
			spent[si] += time.Since(start)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				info.Notes = append(info.Notes, fmt.Sprintf("no %s profile of %s: %v", s.Name, full, err))
				failed[si] = true
				continue
			}
			samples[si] += n
			info.Profiles = append(info.Profiles, pr)
		}
		if failed[0] || failed[1] {
			return nil
		}
		target := float64(b.settings.ProfileSamples)
		if samples[0] >= target && samples[1] >= target {
			return nil
		}
		if chunk+1 >= minChunks && (!cpu || b.explainedEarly(full, pkgs)) {
			return nil
		}
		if max(spent[0], spent[1]) >= b.settings.ProfileTime {
			info.Notes = append(info.Notes, fmt.Sprintf("%s: the profiling runs reached %.0f base and %.0f head CPU samples of the %d aimed for in the time allowed (bench.profile_time %v)",
				full, samples[0], samples[1], b.settings.ProfileSamples, b.settings.ProfileTime))
			return nil
		}
	}
}

// earlyAlpha is the significance level at which the profiling runs of a
// benchmark may stop before their target: stricter than the explanation's
// own (0.05), since the profiles are looked at after every pair of chunks.
const earlyAlpha = 0.001

// explainedEarly reports whether the CPU profiles of the benchmark full so
// far explain its growth: the functions whose growth is significant at
// earlyAlpha (Holm-corrected) add up to at least half of the net growth
// per op. A large regression stops after a few chunks; a small one runs
// to the target, where the samples can tell it from noise.
func (b *Suite) explainedEarly(full string, pkgs [2]int) bool {
	var sides [2][]analyze.ProfileSide
	for _, pr := range b.sides.Info.Profiles {
		if pr.Benchmark != full || pr.CPU == "" {
			continue
		}
		si := 0
		if pr.Side == "head" {
			si = 1
		}
		if pr.Package != b.sides.sides[si].Packages[pkgs[si]].ImportPath {
			continue
		}
		p, err := profiler.Load(b.sides.Run.Path(pr.CPU))
		if err != nil {
			return false
		}
		sides[si] = append(sides[si], analyze.ProfileSide{Profiles: []*profile.Profile{analyze.UnderTest(p)}, Work: pr.Work})
	}
	if len(sides[0]) == 0 || len(sides[1]) == 0 {
		return false
	}
	diffs, err := analyze.DiffProfiles(sides[0], sides[1], "cpu")
	if err != nil || len(diffs) != 1 || diffs[0].Base == nil {
		return false
	}
	d := diffs[0]
	net := (analyze.Total(d.Head, "cpu") - analyze.Total(d.Base, "cpu")) / d.Work
	hot, err := analyze.Diff(diffs, analyze.HotOptions{SampleType: "cpu", Alpha: earlyAlpha})
	if err != nil || !(net > 0) {
		return false
	}
	var explained float64
	for _, h := range hot {
		explained += h.Head - h.Base
	}
	return explained >= net/2
}

// order2 is the order of the sides (0 base, 1 head) in a chunk: ABBA, so
// that each side runs first as often as the other and a linear drift
// cancels over two chunks.
func order2(chunk int) [2]int {
	if chunk%2 == 0 {
		return [2]int{0, 1}
	}
	return [2]int{1, 0}
}

// profileChunk runs one profiling run of a benchmark on s for iters
// iterations and returns its record and the CPU samples it took.
func (b *Suite) profileChunk(ctx context.Context, s *Side, pi, i int, name measuredName, iters, chunk int) (rundir.Profile, float64, error) {
	run := b.sides.Run
	p := &s.Packages[pi]
	files := run.BenchProfiles(s.Name, pi, i, name.bare, chunk)
	if err := run.MkdirFor(files.CPU); err != nil {
		return rundir.Profile{}, 0, err
	}
	pr := rundir.Profile{Side: s.Name, Package: p.ImportPath, Benchmark: "Benchmark" + name.full,
		CPU: files.CPU, Mem: files.Mem, Block: files.Block, Mutex: files.Mutex, Output: files.Output}
	args := []string{"-test.run=^$", "-test.bench=" + exactRegexp("Benchmark"+name.bare),
		fmt.Sprintf("-test.benchtime=%dx", iters), "-test.count=1", "-test.benchmem", "-test.paniconexit0",
		"-test.cpuprofile=" + run.Path(pr.CPU), "-test.memprofile=" + run.Path(pr.Mem),
		fmt.Sprintf("-test.memprofilerate=%d", memProfileRate),
		"-test.blockprofile=" + run.Path(pr.Block), fmt.Sprintf("-test.blockprofilerate=%d", blockProfileRate),
		"-test.mutexprofile=" + run.Path(pr.Mutex), fmt.Sprintf("-test.mutexprofilefraction=%d", mutexProfileFraction)}
	env := append(slices.Clip(s.env), fmt.Sprintf("%s=%d", ProfileRateEnv, profileRate))
	out, _, err := b.execEnv(ctx, s, p, "Benchmark"+name.full, args, env)
	if werr := os.WriteFile(run.Path(pr.Output), out, 0o644); werr != nil && err == nil {
		err = werr
	}
	if err == nil && countResults(out) == 0 {
		err = errors.New("the profiling run printed no result")
	}
	if err != nil {
		return pr, 0, err
	}
	pr.Work = float64(iters + 1) // and the testing package's first call, of one
	prof, err := profiler.Load(run.Path(pr.CPU))
	if err != nil {
		return pr, 0, err
	}
	n, _ := analyze.Events(analyze.UnderTest(prof), "samples")
	return pr, n, nil
}

// The sampling of a benchmark's profiling runs: an allocation sampled
// every 4 KiB on average, against the runtime's 512 KiB, so that an
// allocation regression of a few objects per iteration shows; a blocking
// event every 10 µs blocked on average; a mutex contention in 5.
const (
	memProfileRate       = 4096
	blockProfileRate     = 10000
	mutexProfileFraction = 5
)

// measuredName is a benchmark as the measured rounds named it.
type measuredName struct {
	// full is the name as go test printed it, without "Benchmark";
	// bare is the same without the -GOMAXPROCS suffix.
	full, bare string
	// iters is the median iteration count of its measured rounds, and
	// secPerOp the median time per iteration.
	iters    int
	secPerOp float64
}

// benchmarkNames returns, per package, the benchmarks the measured rounds
// of side produced, in order of appearance.
func (b *Suite) benchmarkNames(side string) map[string][]measuredName {
	var order []string
	byPkg := make(map[string][]string)
	iters := make(map[string][]int)
	secs := make(map[string][]float64)
	for _, rd := range b.sides.Info.Measured {
		if rd.Side != side {
			continue
		}
		data, err := os.ReadFile(b.sides.Run.Path(rd.File))
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
				if v, ok := res.Value("sec/op"); ok {
					secs[k] = append(secs[k], v)
				}
			}
		}
	}
	names := make(map[string][]measuredName)
	for _, pkg := range order {
		suffix := procsSuffix(byPkg[pkg])
		for _, n := range byPkg[pkg] {
			k := pkg + "\x00" + n
			its, ss := iters[k], secs[k]
			slices.Sort(its)
			slices.Sort(ss)
			m := measuredName{full: n, bare: strings.TrimSuffix(n, suffix), iters: max(its[len(its)/2], 1)}
			if len(ss) > 0 {
				m.secPerOp = ss[len(ss)/2]
			}
			names[pkg] = append(names[pkg], m)
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

// exec runs a test binary of s with args, for the benchmark name, in its
// package directory and returns its combined output and CPU time. A failed
// benchmark, a panic, a timeout, an exit status, or a process that ended
// without the testing package's PASS is an error whose text is the one line
// that says why; args hold -test.paniconexit0, as go test passes it, so that
// os.Exit in a benchmark is a panic that names it rather than a quiet end. The timeout is perfgate's own: go test's
// -timeout does not cover benchmarks.
func (b *Suite) exec(ctx context.Context, s *Side, p *rundir.Package, name string, args []string) ([]byte, float64, error) {
	return b.execEnv(ctx, s, p, name, args, s.env)
}

// execEnv is exec with the environment env.
func (b *Suite) execEnv(ctx context.Context, s *Side, p *rundir.Package, name string, args, env []string) ([]byte, float64, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, b.settings.Timeout)
	defer cancel()
	cmd := proc.Command(ctx, p.Binary, args...)
	cmd.Dir = filepath.Join(s.Tree, p.Dir)
	cmd.Env = env
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
		return out.Bytes(), cpu, fmt.Errorf("%s timed out after %v (bench.timeout)", name, b.settings.Timeout)
	}
	if reason := failure(out.Bytes()); reason != "" {
		return out.Bytes(), cpu, errors.New(reason)
	}
	if err != nil {
		return out.Bytes(), cpu, fmt.Errorf("%s: the benchmark process failed: %v", name, err)
	}
	if !passed(out.Bytes()) {
		// A process that exits 0 before the testing package's last word
		// (os.Exit in TestMain or init, where -test.paniconexit0 does not
		// reach) ran some of its benchmarks, or none.
		return out.Bytes(), cpu, fmt.Errorf("%s: the benchmark process ended before it finished (it printed no PASS)", name)
	}
	return out.Bytes(), cpu, nil
}

// passed reports whether a test binary's output ends as the testing
// package ends a run that passed: a line "PASS" (before any coverage line).
func passed(out []byte) bool {
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) == "PASS" {
			return true
		}
	}
	return false
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
