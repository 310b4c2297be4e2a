package bench

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/perfgate/perfgate/bench/service"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/internal/proc"
	"github.com/perfgate/perfgate/rundir"
)

// Options say what the two sides of a run are and where the run goes.
type Options struct {
	// Dir is the directory perfgate runs in, inside a git working tree.
	Dir string
	// Base and Head are the two sides; Base.Ref must be set.
	Base, Head config.Side
	// Env is the environment that everything run for a side (builds,
	// benchmarks, services) starts from, before the side's own Env; nil
	// means this process's environment.
	Env []string
	// Run is the run directory.
	Run rundir.Dir
	// Info is the run's record (run.json), with what the caller knows of
	// the run (its settings); Open fills in the rest.
	Info *rundir.Info
	// KeepBinaries keeps the test and service binaries in the run
	// directory when the sides close.
	KeepBinaries bool
}

// Sides are the two sides of a run while it runs: each one's tree, its
// environment, its results file and its services, and the run's record.
// Suite and LoadTest measure on them; Close ends them.
type Sides struct {
	// Info is run.json; Save writes it.
	Info *rundir.Info
	// Run is the run directory.
	Run rundir.Dir

	sides        [2]*Side
	rel          string // the directory perfgate runs in, relative to a tree's root
	keepBinaries bool
}

// Side is one side while it runs.
type Side struct {
	// Side is the side as run.json records it.
	*rundir.Side
	env     []string
	remove  func() error
	results *os.File
	procs   []*service.Process // running services, in start order
}

// Open resolves both sides, checks each one's ref out in a temporary
// worktree (the working tree when it has none), starts each one's results
// file with the config lines that tell the sides apart (commit, variant),
// and writes run.json. On error it has closed what it opened.
func Open(ctx context.Context, opts Options) (s *Sides, err error) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("locating %s: %w", opts.Dir, err)
	}
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	info := opts.Info
	if info == nil {
		info = &rundir.Info{}
	}
	info.Tool, info.Started, info.Host, info.Dir = "perfgate", time.Now().UTC(), host(), dir
	s = &Sides{Info: info, Run: opts.Run, keepBinaries: opts.KeepBinaries}
	defer func() {
		if err != nil {
			s.Close(err)
		}
	}()
	root, err := RepoRoot(ctx, dir)
	if err != nil {
		return s, err
	}
	// Where Dir is in the tree, so that the same place is found in a
	// worktree; git answers even when Dir is reached through a symlink.
	if s.rel, err = proc.Git(ctx, dir, "rev-parse", "--show-prefix"); err != nil {
		return s, err
	}
	if info.Go, err = goVersion(ctx, env); err != nil {
		return s, err
	}
	for i, spec := range []config.Side{opts.Base, opts.Head} {
		name := [2]string{"base", "head"}[i]
		side := &Side{Side: &rundir.Side{Name: name, Ref: spec.Ref, Env: spec.Env, Tags: spec.Tags, Results: s.Run.Results(name)},
			env: environ(env, spec.Env)}
		s.sides[i] = side
		info.Sides = append(info.Sides, side.Side)
		if spec.Ref == "" {
			side.Tree = root
			if side.Commit, side.Dirty, err = headState(ctx, root); err != nil {
				return s, err
			}
			continue
		}
		if side.Commit, err = ResolveRef(ctx, root, spec.Ref); err != nil {
			return s, fmt.Errorf("%s side: %w", name, err)
		}
		if side.Tree, side.remove, err = addWorktree(ctx, root, side.Commit, name); err != nil {
			return s, err
		}
	}
	for _, side := range s.sides {
		f, err := os.Create(s.Run.Path(side.Results))
		if err != nil {
			return s, fmt.Errorf("creating %s: %w", side.Results, err)
		}
		side.results = f
		// Config lines that tell the sides apart; see analyze.Compare.
		fmt.Fprintf(f, "commit: %s\nvariant: %s\n", orNone(side.Commit), side.Name)
	}
	return s, s.Save()
}

// environ returns base with env added, in the order of its keys.
func environ(base []string, env map[string]string) []string {
	out := slices.Clip(base)
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// Both returns the base side and the head side.
func (s *Sides) Both() []*Side { return s.sides[:] }

// Save writes run.json.
func (s *Sides) Save() error { return s.Run.WriteInfo(s.Info) }

// Close ends the sides, whatever happened: it stops the services (last
// started first), closes the results files, removes the worktrees and,
// unless they are kept, the binaries, and writes run.json with runErr,
// the error that ended the run (nil when it completed). Finished rounds
// stay on disk. It returns the first error of its own.
func (s *Sides) Close(runErr error) error {
	var errs []error
	for _, side := range s.sides {
		if side == nil {
			continue
		}
		side.stopServices()
		if side.results != nil {
			if err := side.results.Close(); err != nil {
				errs = append(errs, fmt.Errorf("writing %s: %w", side.Results, err))
			}
			side.results = nil
		}
		if side.remove != nil {
			errs = append(errs, side.remove())
			side.remove = nil
		}
	}
	if !s.keepBinaries {
		errs = append(errs, s.Run.RemoveBinaries())
		for _, side := range s.Info.Sides {
			for i := range side.Packages {
				side.Packages[i].Binary = ""
			}
			for i := range side.Services {
				side.Services[i].Binary = ""
			}
		}
	}
	if runErr != nil {
		s.Info.Error = runErr.Error()
	}
	s.Info.Finished = time.Now().UTC()
	errs = append(errs, s.Save())
	return errors.Join(errs...)
}

// appendResults appends benchmark lines to the side's results file.
func (side *Side) appendResults(data []byte) error {
	if _, err := side.results.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", side.Results, err)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func goVersion(ctx context.Context, env []string) (string, error) {
	cmd := proc.Command(ctx, "go", "version")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("running go version (is Go installed?): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func host() rundir.Host {
	h := rundir.Host{OS: runtime.GOOS, Arch: runtime.GOARCH, NumCPU: runtime.NumCPU()}
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
